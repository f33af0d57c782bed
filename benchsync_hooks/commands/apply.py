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
    push: bool = False
    remote: str = "origin"
    open_pr: bool = False
    repo: str | None = None
    token_env: str = "GITHUB_TOKEN"


@dataclass(frozen=True)
class Publish:
    """Where and how to open the pull request, checked before any work is done."""

    api_url: str
    token: str
    repo: str


def _publish_settings(options: ApplyOptions) -> Publish | None:
    if options.push and options.no_commit:
        raise UsageError("--push needs a commit; drop --no-commit")
    if not options.open_pr:
        return None
    token = os.environ.get(options.token_env, "")
    if not token:
        raise UsageError(
            f"--open-pr needs a token in ${options.token_env} (pull-requests: write, "
            "contents: write); set it or name another variable with --token-env"
        )
    repo = options.repo or os.environ.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UsageError("--open-pr needs the repository: pass --repo OWNER/NAME")
    api_url = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
    return Publish(api_url, token, repo)


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
    publish = _publish_settings(options)
    website = gitrepo.open_repo(Path(options.website))
    config = load_config(website.root)
    branch = options.branch or config.branch
    from filelock import FileLock, Timeout

    lock_path = website.git_dir / "benchsync" / "apply.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=config.lock_timeout):
            # git status (the dirty check before writing) runs while the plan is made
            status = None if options.dry_run else gitrepo.status_soon(website)
            try:
                return _locked(options, website, config, branch, stream, publish, status)
            finally:
                if status is not None:
                    status.cancel()
    except Timeout:
        raise LockedError(
            f"another apply is running on this website (lock {lock_path}); "
            f"waited {config.lock_timeout:g}s (config lock_timeout)"
        ) from None


def _locked(
    options: ApplyOptions,
    website: GitRepo,
    config: Config,
    branch: str,
    stream: TextIO,
    publish: Publish | None,
    status: gitrepo.Soon | None,
) -> int:
    base = _base_of(website, branch, options.base)
    base_commit = gitrepo.resolve_commit(website, base)
    remote_at_start = None
    if options.push:
        remote_at_start = gitrepo.remote_branch(website, options.remote, branch)
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
        ensure_writable(website, plan, status)
        if options.no_commit:
            write_files(website, plan.writes)
            outcome = Outcome(None, None, True)
        else:
            outcome = commit_plan(website, plan, branch)
        body_path = website.git_dir / "benchsync" / "pr-body.md"
        body_path.write_text(pr.body, encoding="utf-8")
    pushed = False
    if options.push and outcome.commit and remote_at_start != outcome.commit:
        gitrepo.push(website, options.remote, branch, outcome.commit, remote_at_start)
        pushed = True
    result = None
    if publish is not None and not options.dry_run:
        from ..sync import github

        result = github.publish(
            api_url=publish.api_url,
            token=publish.token,
            repo_name=publish.repo,
            branch=branch,
            base=base,
            pr=pr,
            changed=outcome.changed or pushed,
            something=bool(plan.writes),
            config=config,
        )
    report = _report(plan, outcome, pr, branch, body_path, options)
    report["pushed"] = pushed
    if result is not None:
        report["pr"].update(number=result.number, url=result.url, operation=result.operation)
    if options.json:
        stream.write(json.dumps(report, indent=2) + "\n")
    else:
        _text(stream, plan, outcome, pr, branch, body_path, options)
        _text_publish(stream, report, options)
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
        "unchanged": plan.unchanged,
        "rejected": [
            {"source": r.source, "rule": r.rule, "message": r.message} for r in plan.rejected
        ],
        "kept": plan.kept,
        "planned": plan.mode,
        "planned_because": plan.why,
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
        f"plan: {len(plan.new)} new, {len(plan.updated)} updated, {plan.unchanged} "
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


def _text_publish(stream: TextIO, report: dict[str, Any], options: ApplyOptions) -> None:
    if report.get("pushed"):
        stream.write(f"pushed {report['branch']} to {options.remote}\n")
    operation = report["pr"].get("operation")
    if operation and operation != "none":
        stream.write(f"pull request #{report['pr']['number']} {operation}: {report['pr']['url']}\n")
    elif operation == "none":
        stream.write("pull request: nothing to change\n")


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
        if "operation" in report["pr"]:
            values["pr-number"] = str(report["pr"]["number"] or "")
            values["pr-url"] = str(report["pr"]["url"] or "")
            values["pr-operation"] = str(report["pr"]["operation"])
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
            if report["pr"].get("url"):
                handle.write(
                    f"\nPull request #{report['pr']['number']} ({report['pr']['operation']}): "
                    f"{report['pr']['url']}\n"
                )
