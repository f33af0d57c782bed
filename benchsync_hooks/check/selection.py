"""Which files are leaderboard files: gitignore-style include/exclude patterns."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from ..config import Config

DEFAULT_INCLUDE = ("*_leaderboard.json",)


@lru_cache(maxsize=4)
def _matcher(include: tuple[str, ...], exclude: tuple[str, ...]) -> Callable[[str], bool]:
    from ..gitignore import compiled

    inc = compiled(include)
    exc = compiled(exclude) if exclude else None

    def matches(rel: str) -> bool:
        if not inc.match_file(rel):
            return False
        return exc is None or not exc.match_file(rel)

    return matches


def selected_of(paths: Iterable[str], config: Config) -> list[str]:
    """The leaderboard files among ``paths`` (the default pattern as one C-speed filter)."""
    if config.include == DEFAULT_INCLUDE and not config.exclude:
        return [p for p in paths if p.endswith("_leaderboard.json")]
    matches = _matcher(config.include, config.exclude)
    return [p for p in paths if matches(p)]


def selected(rel: str, config: Config) -> bool:
    """True when ``rel`` (repo-relative, POSIX) is a leaderboard file to check."""
    if config.include == DEFAULT_INCLUDE and not config.exclude:
        return rel.endswith("_leaderboard.json")  # the default pattern, without pathspec
    return _matcher(config.include, config.exclude)(rel)
