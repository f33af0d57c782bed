"""SIGTERM (a cancelled CI job) as a normal exit: the git processes this run started are
ended, and :class:`Terminated` is raised where Python was, so every ``finally`` and context
manager runs (the lock released, a temporary fetch removed). ``cli`` reports it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: The exit code after SIGTERM (128 + its number), as a shell reports a process it ended.
EXIT_TERMINATED = 128 + 15


class Terminated(BaseException):
    """SIGTERM arrived (a CI job was cancelled): raised where Python was, so that every
    ``finally`` and context manager runs (a lock is released, a temporary folder removed).
    A :class:`BaseException`, so that no ``except Exception`` takes it for an error."""


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children first), from ``/proc``; none where it is absent."""
    import os

    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _on_sigterm(signum: int, _frame: object) -> None:
    """End the git processes this run started (and theirs), then raise :class:`Terminated`."""
    import contextlib
    import os
    import signal

    signal.signal(signum, signal.SIG_IGN)  # a second SIGTERM does not cut the cleanup short
    for child in _descendants(os.getpid()):
        with contextlib.suppress(OSError):  # ended meanwhile
            os.kill(child, signal.SIGTERM)
    raise Terminated


@contextmanager
def sigterm_ends_cleanly() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the block runs; the previous handler is put
    back after. Off the main thread (where no handler can be set) the block just runs."""
    import signal

    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (no threading import on the hooks' path)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
