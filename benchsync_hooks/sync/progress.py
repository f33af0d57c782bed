"""A progress bar on stderr, only for a terminal and only for many files."""

from __future__ import annotations

import sys
from collections.abc import Callable

MIN_FILES = 200


def progress_bar(label: str) -> Callable[[int, int], None]:
    stream = sys.stderr
    if not stream.isatty():
        return lambda _done, _total: None
    step = [0]

    def show(done: int, total: int) -> None:
        if total < MIN_FILES:
            return
        width = 30
        filled = width * done // total
        if filled == step[0] and done != total:
            return
        step[0] = filled
        bar = "#" * filled + "." * (width - filled)
        end = "\n" if done >= total else ""
        stream.write(f"\r{label} [{bar}] {done}/{total}{end}")
        stream.flush()

    return show
