"""``benchsync apply``: verify a source's manifest and bring what is new into the website."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .. import gitrepo
from ..config import Config, load_config
from ..errors import EXIT_OK, EXIT_PROBLEMS, LockedError, UsageError
from ..gitrepo import GitRepo
from ..report import Problem, emit
from ..sync import prbody
from ..sync.plan import Plan, build_plan
from ..sync.progress import progress_bar
from ..sync.source import open_source
from ..sync.write import Outcome, commit_plan, ensure_writable, write_files


@dataclass(frozen=True)
class ApplyOptions:
    source: str
    ref: str | None = None
    website: str = "."
    branch: str | None = None
    base: str | None = None
    dry_run: bool = False
    json: bool = False
    no_commit: bool = False
    skip_invalid: bool = False


def _base_of(website: GitRepo, branch: str, given: str | None) -> str:
    if given:
        return given
    current = gitrepo.current_branch(website)
    if current is None:
        raise UsageError("the website has a detached HEAD; pass --base BRANCH")
    if current != branch:
        return current
    head = gitrepo.branch_commit(website, branch)
    if head is not None:
        _tree, _parents, message = gitrepo.commit_info(website, head)
        for line in message.splitlines():
            if line.startswith("Benchsync-Base: "):
                return line.split(": ", 1)[1].strip()
    raise UsageError(f"the website is on the sync branch {branch}; pass --base BRANCH")


def run(options: ApplyOptions, *, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    website = gitrepo.open_repo(Path(options.website))
    config = load_config(website.root)
    branch = options.branch or config.branch
    from filelock import FileLock, Timeout

    lock_path = website.git_dir / "benchsync" / "apply.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=config.lock_timeout):
            return _locked(options, website, config, branch, stream)
    except Timeout:
        raise LockedError(
            f"another apply is running on this website (lock {lock_path}); "
            f"waited {config.lock_timeout:g}s (config lock_timeout)"
        ) from None


def _locked(
    options: ApplyOptions, website: GitRepo, config: Config, branch: str, stream: TextIO
) -> int:
    base = _base_of(website, branch, options.base)
    base_commit = gitrepo.resolve_commit(website, base)
    source = open_source(options.source, options.ref, website)
    plan = build_plan(
        source,
        website,
        base=base,
        base_commit=base_commit,
        config=config,
        progress=progress_bar("verifying"),
    )
    if plan.integrity:
        emit(
            plan.integrity,
            fmt=None,
            out=stream,
            summary=f"manifest rejected: {len(plan.integrity)} false claims; nothing written",
        )
        return EXIT_PROBLEMS
    if plan.rejected and not options.skip_invalid:
        problems = [Problem(r.source, 0, 0, r.rule, r.message) for r in plan.rejected]
        emit(
            problems,
            fmt=None,
            out=stream,
            summary=f"{len({r.source for r in plan.rejected})} files rejected; nothing written "
            "(--skip-invalid applies the rest)",
        )
        return EXIT_PROBLEMS
    pr = prbody.build(plan, website, config)
    outcome = Outcome(None, None, False)
    body_path: Path | None = None
    if plan.writes and not options.dry_run:
        ensure_writable(website, plan)
        if options.no_commit:
            write_files(website, plan.writes)
            outcome = Outcome(None, None, True)
        else:
            outcome = commit_plan(website, plan, branch)
        body_path = website.git_dir / "benchsync" / "pr-body.md"
        body_path.write_text(pr.body, encoding="utf-8")
    report = _report(plan, outcome, pr, branch, body_path, options)
    if options.json:
        stream.write(json.dumps(report, indent=2) + "\n")
    else:
        _text(stream, plan, outcome, pr, branch, body_path, options)
    _github(report, pr, body_path)
    return EXIT_OK


def _report(
    plan: Plan,
    outcome: Outcome,
    pr: prbody.PullRequest,
    branch: str,
    body_path: Path | None,
    options: ApplyOptions,
) -> dict[str, Any]:
    src = plan.source
    return {
        "source": {"repo": src.location, "ref": src.ref, "commit": src.commit},
        "base": {"ref": plan.base, "commit": plan.base_commit},
        "new": [i.target for i in plan.new],
        "updated": [i.target for i in plan.updated],
        "unchanged": [i.target for i in plan.unchanged],
        "rejected": [
            {"source": r.source, "rule": r.rule, "message": r.message} for r in plan.rejected
        ],
        "kept": plan.kept,
        "branch": outcome.branch,
        "commit": outcome.commit,
        "changed": outcome.changed,
        "dry_run": options.dry_run,
        "pr": {"title": pr.title, "labels": list(pr.labels), "body": pr.body},
        "pr_body_path": str(body_path) if body_path else None,
    }


def _text(
    stream: TextIO,
    plan: Plan,
    outcome: Outcome,
    pr: prbody.PullRequest,
    branch: str,
    body_path: Path | None,
    options: ApplyOptions,
) -> None:
    src = plan.source
    write = stream.write
    write(f"source: {src.location} {src.ref} @ {src.commit}\n")
    write(
        f"plan: {len(plan.new)} new, {len(plan.updated)} updated, {len(plan.unchanged)} "
        f"unchanged, {len(plan.rejected)} rejected; {plan.kept} website files kept\n"
    )
    for item in plan.writes:
        write(f"  {item.status:<8} {item.target}\n")
    for rej in plan.rejected:
        write(f"  rejected {rej.source} ({rej.rule})\n")
    if not plan.writes:
        write("nothing to sync\n")
        return
    if options.dry_run:
        write(f"dry run: nothing written. Pull request '{pr.title}':\n\n{pr.body}")
        return
    if options.no_commit:
        write(f"wrote {len(plan.writes)} files into the working tree (no commit)\n")
    elif outcome.changed:
        write(f"committed {str(outcome.commit)[:12]} on {branch} (checked out)\n")
    else:
        write(
            f"{branch} already holds these results at {str(outcome.commit)[:12]}; no new commit\n"
        )
    if body_path is not None:
        write(f"pull request body: {body_path}\n")


def _github(report: dict[str, Any], pr: prbody.PullRequest, body_path: Path | None) -> None:
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        values = {
            "changed": "true" if report["changed"] else "false",
            "files-new": str(len(report["new"])),
            "files-updated": str(len(report["updated"])),
            "branch": report["branch"] or "",
            "pr-title": pr.title,
            "pr-labels": ",".join(pr.labels),
            "pr-body-path": str(body_path or ""),
        }
        with open(output, "a", encoding="utf-8") as handle:
            for key, value in values.items():
                handle.write(f"{key}={value}\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            if report["new"] or report["updated"]:
                handle.write(pr.body + "\n")
            else:
                handle.write("### benchsync apply\n\nnothing to sync\n")
