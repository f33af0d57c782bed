"""Read a file from the work tree, refusing one over the size limit before reading it."""

from __future__ import annotations

import os
import stat

from .report import Problem


def read_limited(
    path: str | os.PathLike[str], display: str, max_size: int
) -> tuple[bytes | None, list[Problem]]:
    """Read a regular file, refusing one over ``max_size`` bytes before reading it (one
    open, one fstat: the size and kind are those of the file opened, never of another one
    at the same name). Opened without blocking, so a named pipe or a device at that name
    is refused instead of waiting forever for a writer."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    except OSError as exc:
        return None, [_unreadable(display, exc)]
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            return None, [not_a_file(display, found.st_mode)]
        if found.st_size > max_size:
            return None, [too_big(display, found.st_size, max_size)]
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        return None, [_unreadable(display, exc)]
    finally:
        os.close(fd)
    if len(data) > max_size:
        return None, [too_big(display, len(data), max_size)]
    return data, []


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # (no effect on a regular file)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows
#: What a file that is not a regular file is, by its kind (stat.S_IFMT).
_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _unreadable(display: str, exc: OSError) -> Problem:
    return Problem(display, 0, 0, "file-unreadable", f"cannot read: {exc.strerror}; check the path")


def not_a_file(display: str, mode: int) -> Problem:
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return Problem(
        display,
        0,
        0,
        "file-unreadable",
        f"cannot read: is {kind}, not a regular file; pass the result file itself",
    )


def too_big(display: str, size: int, limit: int, *, what: str = "file") -> Problem:
    return Problem(
        display,
        0,
        0,
        "json-size",
        f"{what} is {_human(size)}, over the {_human(limit)} limit (config max_file_size); "
        "a leaderboard result is a few KiB: keep raw traces out of it",
    )


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
