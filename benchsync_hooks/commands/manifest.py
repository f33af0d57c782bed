"""``benchsync manifest``: regenerate the sync manifest from the git index."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from ..bench.regen import compute, refuse_a_website
from ..bench.scan import published
from ..context import context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..git import open_repo
from ..report import Problem, counted, emit


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by rename: readers see the old or the new manifest, never a part.

    No fsync: the manifest is derived from the index and rewritten on the next run,
    so durability across a power cut is not worth its cost on every commit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:  # a new file: as open() would make it
        umask = os.umask(0o22)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), mode)  # (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ignored_problem(rel: str, rule: str) -> Problem:
    source, _, _pattern = rule.partition(":")
    return Problem(
        rel,
        0,
        0,
        "manifest-ignored",
        f"is ignored by git ({rule}), so the website never sees it: add "
        f"'!{Path(rel).name}' to {source}, then git add {rel}",
    )


#: Rules ``benchsync schema`` reports (the others are ``layout``'s).
_SCHEMA_RULES = ("file-", "json-", "schema-", "cluster-", "format-")


def _dropped(problem: Problem) -> Problem:
    """A result HEAD's manifest lists that now fails: said as such, with what to do."""
    fails = problem.message.removeprefix("not in the manifest: ")
    rules = fails.removeprefix("fails ").split(", ")
    tools = sorted({"schema" if r.startswith(_SCHEMA_RULES) else "layout" for r in rules})
    see = " and ".join(f"'benchsync {tool} {problem.path}'" for tool in tools[::-1])
    return problem._replace(
        message=f"is published (HEAD's manifest lists it) but now {fails}, so it would leave "
        f"the manifest: fix it (see {see}), or git rm it to stop syncing it"
    )


def run(
    *,
    check: bool = False,
    rebuild: bool = False,
    out: TextIO | None = None,
    fmt: str | None = None,
) -> int:
    """Regenerate (or with ``check`` compare) the manifest; ``rebuild``: from every result
    read again, none of the staged manifest's entries kept.

    Exit 1 when the manifest was written (or is stale with ``check``), is git-ignored, or
    leaves out a result HEAD's manifest lists (at every run, until it is fixed or removed:
    an edit of a ``config.json`` alone must not drop a published result quietly); other
    files left out are reported, and failed by the checking hooks and ``check``.
    """
    stream = out or sys.stdout
    ctx = context_for()
    repo = open_repo(ctx.root)
    state = compute(ctx, repo, cold=rebuild)
    refuse_a_website(
        ctx, state, fix="the manifest is made in the benchmark repository: run it there"
    )
    problems = state.left_out
    failed: list[Problem] = []
    dropped = 0  # published results left out: each commit fails until they are dealt with
    if problems:
        was = published(repo, ctx.config)
        problems = [_dropped(p) if p.path in was else p for p in problems]
        dropped = sum(1 for p in problems if p.path in was)
    if state.ignored_by:
        failed.append(ignored_problem(state.rel, state.ignored_by))
    written = False
    if state.stale and not check:
        write_atomic(state.path, state.data)
        written = True
    behind = state.stale or (state.unstaged and not failed)
    lines = []
    if len(problems) > dropped:
        lines.append(
            f"{counted(len(problems), 'file')} left out of the manifest; "
            "see 'benchsync schema FILE' and 'benchsync layout FILE'"
        )
    if check:
        if state.stale:
            again = "benchsync manifest --rebuild" if rebuild else "benchsync manifest"
            lines.append(f"manifest is stale: run '{again}' and commit {state.rel}")
        elif behind:
            lines.append(f"manifest is not staged: git add {state.rel}")
    elif dropped:  # (the manifest written leaves them out: staging it is no fix)
        lines.append(
            f"{counted(dropped, 'published result')} would leave the manifest: fix "
            f"{'it' if dropped == 1 else 'them'} or git rm {'it' if dropped == 1 else 'them'}, "
            "then commit again"
        )
    elif not failed:
        if written:
            lines.append(f"manifest updated: git add {state.rel}")
        elif behind:
            lines.append(f"manifest is current but not staged: git add {state.rel}")
    emit(
        [*problems, *failed],
        fmt=fmt,
        out=stream,
        summary="\n".join(lines) or None,
        extra={
            "manifest": {
                "path": state.rel,
                "stale": state.stale,
                "staged": not state.unstaged,
                "written": written,
            }
        },
        ok=not (failed or behind or dropped),
    )
    return EXIT_PROBLEMS if failed or behind or dropped else EXIT_OK
