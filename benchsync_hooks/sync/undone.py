"""What a failure at the very end of a sync says: that the website was put back as it
was, and how to finish; or, when going back failed too, the command that does."""

from __future__ import annotations

import re

#: git's words for a lock file another process holds.
_LOCK = re.compile(r"Unable to create '[^']*\.lock': File exists")


def put_back(message: str) -> str:
    """A git failure after which the files, index, HEAD and sync branch are as they were."""
    fix = "run again"
    if _LOCK.search(message):
        fix = "let the other git command finish (or remove that file if none runs), then run again"
    return f"{message}; the website was put back as it was: {fix}"


def not_back(message: str, why: str, to: str | None) -> str:
    """A git failure after which going back to ``to`` (the user's branch or commit) failed."""
    return (
        f"{message}; going back failed too ({why}): once no other git command runs there, "
        f"git checkout {to or 'your branch'}"
    )
