"""Bytes made durable before they are used: temp files and folder entries, fsynced.

An ``fsync`` waits for the disk, not for the CPU, and the kernel commits several at once:
a sync of thousands of files runs them on a few threads (the GIL is released while each
waits) instead of one after the other, which took most of a first sync's time. (Threads of
its own, not a pool: a pool runs every queued call before it lets an error or a signal out,
and a queued call cannot be taken back when no thread could be started for it.)
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Files and folders synced at once (more gain little on one disk).
THREADS = 16


def _each(call: Callable[[T], R], values: Sequence[T]) -> list[R]:
    """``call`` on every value, in order, on up to THREADS threads; the first error is raised
    once every thread has stopped, and an error or a signal (``Terminated``, Ctrl-C) starts
    no further call. Where no thread can be started (a process limit), this one does it."""
    results: list[R | None] = [None] * len(values)
    errors: list[BaseException] = []
    order = iter(range(len(values)))
    take, stop = threading.Lock(), threading.Event()

    def work() -> None:
        while not stop.is_set():
            with take:
                at = next(order, None)
            if at is None:
                return
            try:
                results[at] = call(values[at])
            except BaseException as exc:  # (raised in the caller's thread, below)
                errors.append(exc)
                stop.set()

    threads: list[threading.Thread] = []
    try:
        for _ in range(min(THREADS, len(values)) if len(values) > 1 else 0):
            thread = threading.Thread(target=work, daemon=True)
            try:
                thread.start()
            except RuntimeError:  # can't start new thread: those started (or this one) go on
                break
            threads.append(thread)
        if not threads:
            work()
        for thread in threads:
            thread.join()
    except BaseException:
        stop.set()  # (a signal in this thread: the calls under way end, no other starts)
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


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
