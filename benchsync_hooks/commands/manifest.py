"""``benchsync manifest``: regenerate the sync manifest from the git index."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from ..bench.regen import compute
from ..context import context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..git import open_repo
from ..report import Problem, emit


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by rename: readers see the old or the new manifest, never a part.

    No fsync: the manifest is derived from the index and rewritten on the next run,
    so durability across a power cut is not worth its cost on every commit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ignored_problem(rel: str, rule: str) -> Problem:
    return Problem(
        rel,
        0,
        0,
        "manifest-ignored",
        f"is ignored by git ({rule}); the website never sees it: "
        f"add '!{Path(rel).name}' to that .gitignore",
    )


def run(*, check: bool = False, out: TextIO | None = None, fmt: str | None = None) -> int:
    stream = out or sys.stdout
    ctx = context_for()
    repo = open_repo(ctx.root)
    state = compute(ctx, repo)
    problems = state.left_out
    count = len(problems)
    if state.ignored_by:
        problems.append(ignored_problem(state.rel, state.ignored_by))
    summary = None
    if count:
        summary = (
            f"{count} files left out of the manifest; "
            "see 'benchsync schema FILE' and 'benchsync layout FILE'"
        )
    emit(problems, fmt=fmt, out=stream, summary=summary)
    if not state.stale:
        return EXIT_PROBLEMS if problems else EXIT_OK
    if check:
        stream.write(f"manifest is stale: run 'benchsync manifest' and commit {state.rel}\n")
        return EXIT_PROBLEMS
    write_atomic(state.path, state.data)
    stream.write(f"manifest updated: git add {state.rel}\n")
    return EXIT_PROBLEMS
