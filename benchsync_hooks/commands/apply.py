"""``benchsync apply``: verify a source's manifest and bring what is new into the website."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TextIO

from ..apply_report import ApplyReport, emit_apply
from ..config import Config
from ..config_files import load_config
from ..context import read_schema
from ..errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    LockedError,
    NotARepository,
    RegressionsFound,
    UsageError,
)
from ..git import GitRepo, open_repo, require_sha1
from ..git.commit import behind_upstream, check_branch_name, resolve_commit
from ..git.listing import status_lines
from ..git.remote import check_remote_name, push, remote_branch
from ..git.repo import Background
from ..report import Problem, counted, emit
from ..sync import prbody
from ..sync.base import base_of
from ..sync.plan import build_plan
from ..sync.preflight import ensure_ours, ensure_writable
from ..sync.progress import progress_bar
from ..sync.source import open_source
from ..sync.state import LOCK, PR_BODY, check_state, real_folder, replace_file, state_path
from ..sync.values import Plan
from ..sync.write import (
    Outcome,
    clear_temp,
    commit_plan,
    write_files,
)


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
    website_report: str | None = None
    fail_on_regression: bool = False


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


def run(options: ApplyOptions, *, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    publish = _publish_settings(options)
    if options.push:
        check_remote_name(options.remote)
    try:
        website = open_repo(Path(options.website).absolute())
    except NotARepository as exc:  # (the current folder: the message says to run in it)
        if options.website == ".":
            raise
        raise UsageError(f"--website {options.website}: {exc.message}") from None
    config = load_config(website.root)
    branch = options.branch or config.branch
    check_branch_name(website, branch)
    if options.dry_run:  # reads git objects only; writes nothing, not even a lock
        return _locked(options, website, config, branch=branch, stream=stream, publish=publish)
    from filelock import FileLock, Timeout

    check_state(website)  # real folders under .git/benchsync, before anything is written
    lock_path = state_path(website, LOCK)
    try:
        with FileLock(str(lock_path), timeout=config.lock_timeout):
            clear_temp(website)
            return _locked(options, website, config, branch=branch, stream=stream, publish=publish)
    except Timeout:
        raise LockedError(
            f"another apply is running on this website (lock {lock_path}); "
            f"waited {config.lock_timeout:g}s (config lock_timeout)"
        ) from None


def _website_report(options: ApplyOptions) -> tuple[Problem, ...]:
    """The problems of a ``check --website --format json`` report (for the PR body)."""
    if not options.website_report:
        return ()
    import json

    try:
        text = Path(options.website_report).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise UsageError(
            f"--website-report {options.website_report}: cannot read: {why}; pass the file "
            "'benchsync check --website --format json' wrote"
        ) from None
    try:
        doc = json.loads(text)
        items = doc["problems"]
        return tuple(
            Problem(
                str(p["path"]), int(p["line"]), int(p["column"]), str(p["rule"]), str(p["message"])
            )
            for p in items
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"--website-report {options.website_report}: not the output of "
            f"'benchsync check --website --format json' ({type(exc).__name__})"
        ) from None


def _refused(plan: Plan, options: ApplyOptions, stream: TextIO) -> int | None:
    """Print why nothing is written (false claims, rejected files), or None to go on."""
    if plan.integrity:
        claims = counted(len(plan.integrity), "false claim")
        summary = f"manifest rejected: {claims}; nothing written"
        emit(plan.integrity, fmt="json" if options.json else None, out=stream, summary=summary)
        return EXIT_PROBLEMS
    if plan.rejected and not options.skip_invalid:
        problems = [Problem(r.source, r.line, r.column, r.rule, r.message) for r in plan.rejected]
        summary = (
            f"{counted(len({r.source for r in plan.rejected}), 'file')} rejected; nothing written "
            "(--skip-invalid applies the rest)"
        )
        if plan.differs:  # (the hooks passed them: the two repositories check differently)
            summary += (
                f"\nthe benchmark repository's configuration sets {', '.join(plan.differs)} "
                "otherwise than this website's, so what passed its hooks can fail here: "
                "align the two"
            )
        emit(problems, fmt="json" if options.json else None, out=stream, summary=summary)
        return EXIT_PROBLEMS
    return None


def _locked(
    options: ApplyOptions,
    website: GitRepo,
    config: Config,
    *,
    branch: str,
    stream: TextIO,
    publish: Publish | None,
) -> int:
    base = base_of(website, branch, options.base, target_root=config.target_root)
    base_commit = resolve_commit(website, base, what="base")
    lag = behind_upstream(website, base)
    warnings = (
        ()
        if lag is None
        else (
            f"{base} is {counted(lag[1], 'commit')} behind {lag[0]} (as last fetched): the "
            f"sync starts from the older {base} and may bring results {lag[0]} has already; "
            f"git pull on {base} first",
        )
    )
    remote_at_start = None
    if options.push:
        remote_at_start = remote_branch(website, options.remote, branch)
    status = None if options.dry_run else Background(partial(status_lines, website))
    # A URL is fetched into a new temporary repository, removed when this block ends (the
    # plan holds the bytes it writes): nothing fetched outlives the run, on error too.
    with open_source(options.source, options.ref) as source:
        require_sha1(source.repo, what=f"the source {source.location}")
        plan = build_plan(
            source,
            website,
            base=base,
            base_commit=base_commit,
            config=config,
            schema_text=read_schema(website.root / config.schema, config.schema)
            if config.schema
            else "",
            progress=progress_bar("verifying"),
        )
    refused = _refused(plan, options, stream)
    if refused is not None:
        return refused
    pr = prbody.build(plan, website, config, website_problems=_website_report(options))
    outcome = Outcome(None, None, False)
    body_path: Path | None = None
    if plan.writes and not options.dry_run:
        if options.push and remote_at_start is not None:  # (before anything moves here)
            ensure_ours(
                website,
                remote=options.remote,
                branch=branch,
                commit=remote_at_start,
                target_root=config.target_root,
                base=base,
                base_commit=base_commit,
            )
        ensure_writable(website, plan, target_root=config.target_root, branch=branch, status=status)
        if options.no_commit:
            write_files(website, plan.writes)
            outcome = Outcome(None, None, True)
        else:
            outcome = commit_plan(website, plan, branch)
        body_path = replace_file(real_folder(website), PR_BODY, pr.body.encode("utf-8"))
    pushed = False
    if options.push and outcome.commit and remote_at_start != outcome.commit:
        push(website, options.remote, branch, commit=outcome.commit, expected=remote_at_start)
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
    src = plan.source
    report = ApplyReport(
        source={"repo": src.location, "ref": src.ref, "commit": src.commit},
        base={"ref": plan.base, "commit": plan.base_commit},
        new=tuple(f.target for f in plan.new),
        updated=tuple(f.target for f in plan.updated),
        unchanged=plan.unchanged,
        rejected=tuple(
            Problem(r.source, r.line, r.column, r.rule, r.message) for r in plan.rejected
        ),
        kept=plan.kept,
        unlisted=plan.unlisted,
        warnings=(*warnings, *plan.warnings),
        branch=outcome.branch,
        commit=outcome.commit,
        changed=outcome.changed,
        dry_run=options.dry_run,
        no_commit=options.no_commit,
        pr_title=pr.title,
        pr_labels=pr.labels,
        pr_body=pr.body,
        pr_body_path=str(body_path) if body_path else None,
        comparison=pr.comparison,
        pushed=pushed,
        remote=options.remote,
        pr_number=result.number if result else None,
        pr_url=result.url if result else None,
        pr_operation=result.operation if result else None,
        fail_on_regression=options.fail_on_regression,
    )
    emit_apply(report, as_json=options.json, out=stream)
    if report.failed:
        raise RegressionsFound(
            f"{counted(len(pr.comparison.regressions), 'regression')} against the earlier "
            "runs (--fail-on-regression); the pull request body lists them"
        )
    return EXIT_OK
