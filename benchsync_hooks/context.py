"""Where a command runs: the repository root and its configuration."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from .config import Config, find_root, load_config


class Context(NamedTuple):
    """The checked repository's root (or the cwd outside git) and its configuration."""

    root: Path
    config: Config
    in_git: bool

    def rel(self, path: str) -> str | None:
        """``path`` relative to the root in POSIX form, or None when outside it."""
        absolute = Path(os.path.abspath(path))
        try:
            relative = absolute.relative_to(self.root)
        except ValueError:
            return None
        return PurePosixPath(*relative.parts).as_posix()

    def schema_path(self, override: str | None) -> str:
        if override:
            return override
        if self.config.schema:
            return str(self.root / self.config.schema)
        return ""


def context_for(start: Path | None = None) -> Context:
    here = Path(start or Path.cwd())
    root = find_root(here)
    if root is None:
        return Context(here.resolve(), load_config(here.resolve()), in_git=False)
    return Context(root, load_config(root), in_git=True)
