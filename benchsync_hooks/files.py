"""Read a file from the work tree, refusing one over the size limit before reading it."""

from __future__ import annotations

import os

from .report import Problem


def read_limited(
    path: str | os.PathLike[str], display: str, max_size: int
) -> tuple[bytes | None, list[Problem]]:
    """Read a file, refusing one over ``max_size`` bytes before reading it (one open, one
    fstat: the size is that of the file opened, never of another one at the same name)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_size:
                return None, [too_big(display, size, max_size)]
            data = handle.read(max_size + 1)
    except OSError as exc:
        return None, [Problem(display, 0, 0, "file-unreadable", f"cannot read: {exc.strerror}")]
    if len(data) > max_size:
        return None, [too_big(display, len(data), max_size)]
    return data, []


def too_big(display: str, size: int, limit: int) -> Problem:
    return Problem(
        display,
        0,
        0,
        "json-size",
        f"file is {_human(size)}, over the {_human(limit)} limit (config max_file_size); "
        "a leaderboard result is a few KiB: keep raw traces out of it",
    )


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
