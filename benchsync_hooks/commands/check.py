"""``benchsync check``: the whole repository, for CI (benchmark side or ``--website``)."""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path
from typing import TextIO

from ..bench.regen import compute, refuse_a_website
from ..check import jsondoc
from ..check.content import check_content
from ..check.convention import Locate, parse_target
from ..check.uniqueness import ONE_COPY, Placed, placed_at, uniqueness
from ..context import Context, context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from ..files import read_limited
from ..git import open_repo
from ..report import Problem, check_summary, emit, files_summary, step_summary
from .manifest import ignored_problem


def run(*, website: bool = False, fmt: str | None = None, out: TextIO | None = None) -> int:
    ctx = context_for()
    if website:
        count, problems = _website(ctx)
    else:
        count, problems = _benchmark(ctx)
    summary = files_summary(count, len(problems))
    emit(
        problems,
        fmt=fmt,
        out=out or sys.stdout,
        summary=summary,
        extra={"files": count},
    )
    _step_summary(summary, problems, website=website)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _benchmark(ctx: Context) -> tuple[int, list[Problem]]:
    repo = open_repo(ctx.root)
    state = compute(ctx, repo, cold=True)  # CI is always cold: every blob read and checked
    problems = list(state.problems)
    if state.ignored_by:
        problems.append(ignored_problem(state.rel, state.ignored_by))
    refuse_a_website(ctx, state, fix="run 'benchsync check --website'")
    if state.stale or (state.unstaged and not state.ignored_by):
        what = "the manifest is missing" if state.current is None else "the manifest is stale"
        fix = "run 'benchsync manifest' (or pre-commit) and commit it"
        if not state.stale:
            what = "the manifest in the index is stale"
        elif not state.unstaged and state.current is not None:  # (a stopped commit's rewrite)
            what = "the manifest in the work tree is not the one the index holds, which is current"
            fix = "run 'benchsync manifest' to put it back (nothing to commit)"
        if compute(ctx, repo).data != state.data:  # entries the index's memory keeps as they are
            what += " and holds claims that are not true of its files (edited by hand?)"
            fix = "run 'benchsync manifest --rebuild' (it reads every result again) and commit it"
        problems.append(Problem(state.rel, 0, 0, "manifest-stale", f"{what}: {fix}"))
    return state.total, problems


def _website(ctx: Context) -> tuple[int, list[Problem]]:
    config = ctx.config
    base = ctx.root / config.target_root
    if not base.is_dir():
        raise UsageError(
            f"{config.target_root}/ does not exist in {ctx.root}; run in the website repository "
            "or set target_root"
        )
    schema_text = ctx.schema_text
    problems: list[Problem] = []
    placed: list[Placed] = []
    count = 0
    for rel in _walk(ctx.root, base):
        count += 1
        path = ctx.root / rel
        if path.is_symlink():
            problems.append(
                Problem(rel, 0, 0, "layout-symlink", "is a symbolic link; store the file itself")
            )
            continue
        parts, reason = parse_target(rel, config)
        if parts is None:
            problems.append(Problem(rel, 0, 0, "website-layout", f"{reason}{_NOT_SYNCED}"))
        data, read_problems = read_limited(path, rel, config.max_file_size)
        if data is None:
            problems.extend(read_problems)
            continue
        _doc, facts, found = check_content(data, rel, config, schema_text=schema_text)
        problems.extend(found)
        if facts is not None:
            placed.append(Placed(rel, rel, facts.entry_ids))
    # (on the website a clash is mostly a result copied twice, as the old sync did)
    clashes = [p for p in uniqueness(placed, fix=ONE_COPY) if p.rule == "entry-id-unique"]
    problems.extend(placed_at(clashes, partial(_locate, ctx)))
    return count, problems


#: What the website check says after why a path breaks the convention.
_NOT_SYNCED = (
    "; apply never writes this path: move the file to "
    "<backend>/<model>/<run_id>_<name>_leaderboard.json or delete it"
)


def _locate(ctx: Context, rel: str) -> Locate | None:
    """Positions in a website file, read again for the few that clash."""
    data, _problems = read_limited(ctx.root / rel, rel, ctx.config.max_file_size)
    doc = jsondoc.parse(data, rel, max_depth=ctx.config.max_depth)[0] if data else None
    return doc.position if doc is not None else None


def _walk(root: Path, base: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".json"):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
        for name in list(dirnames):
            if (Path(dirpath) / name).is_symlink():
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
    return found


def _step_summary(summary: str, problems: list[Problem], *, website: bool) -> None:
    try:
        step_summary(check_summary("website" if website else "benchmark", summary, problems))
    except OSError:
        return
