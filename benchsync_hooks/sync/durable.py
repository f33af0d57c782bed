"""Bytes made durable before they are used: temp files and folder entries, fsynced.

An ``fsync`` waits for the disk, not for the CPU, and the kernel commits several at once:
a sync of thousands of files runs them on a few threads (the GIL is released while each
waits) instead of one after the other, which took most of a first sync's time.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Files and folders synced at once (more gain little on one disk).
THREADS = 16


def _each(call: Callable[[T], R], values: Sequence[T]) -> list[R]:
    """``call`` on every value, in threads when there are several; the first error is
    raised once every call has ended (so none is still writing when the caller cleans up)."""
    if len(values) < 2:
        return [call(value) for value in values]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(THREADS, len(values))) as pool:
        futures = [pool.submit(call, value) for value in values]
    return [future.result() for future in futures]


def stage_all(folder: Path, datas: Sequence[bytes], *, made: list[Path]) -> list[Path]:
    """A new temp file in ``folder`` for each of ``datas``, written and fsynced, in order.
    Every file made is added to ``made`` as soon as it exists, so that a failure leaves the
    caller a list of what to remove (``mkstemp`` opens with ``O_EXCL | O_NOFOLLOW``)."""

    def stage(data: bytes) -> Path:
        fd, name = tempfile.mkstemp(prefix="write-", dir=folder)
        path = Path(name)
        made.append(path)  # (list.append is atomic: safe from the threads)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(path, 0o644)
        return path

    return _each(stage, datas)


def sync_folders(folders: Iterable[Path]) -> None:
    """fsync each folder once, so the names renamed or made in it last (best effort: a
    folder that cannot be opened or synced is left as it is)."""
    _each(_sync_folder, sorted(set(folders)))


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
