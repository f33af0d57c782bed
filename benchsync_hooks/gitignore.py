"""gitignore-style patterns (``include`` / ``exclude``), compiled by pathspec for RE2.

RE2 matches in time linear in the path, whatever the pattern: a benchmark repository's
patterns reach ``apply``, and with Python's backtracking engine one 40-byte pattern
(``**/*a*/**/*a*/**/*a*/zz``) against one deep path did not finish in five minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


def compiled(lines: Iterable[str]) -> GitIgnoreSpec:
    """``lines`` as one pathspec matcher on the RE2 backend (pathspec's own regexes, so
    what matches is what its default backend would match)."""
    import warnings

    import pathspec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (pathspec warns of spellings it will change)
        return pathspec.GitIgnoreSpec.from_lines(list(lines), backend="re2")
