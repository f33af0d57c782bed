"""--push and --open-pr: a bare remote and a stateful GitHub API on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, RUNS, Pair, canonical_bytes, git, run_cli
from fake_github import TOKEN, State, fake_github

from benchsync_hooks import samples


@pytest.fixture
def site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Pair, State, Path]]:
    for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(key, raising=False)
    made = Pair(tmp_path, capsys)
    remote = tmp_path / "site-remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    made.site_git("remote", "add", "origin", str(remote))
    made.commit_site(
        "config",
        {".benchsync.toml": "api_backoff = 0.01\napi_write_interval = 0\napi_max_wait = 5\n"},
    )
    made.site_git("push", "-q", "origin", "main")
    monkeypatch.chdir(made.site)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with fake_github("octo/site") as (url, state):
        monkeypatch.setenv("GITHUB_API_URL", url)
        yield made, state, remote


def publish(
    capsys: pytest.CaptureFixture[str], pair: Pair, *extra: str
) -> tuple[int, dict[str, Any], str]:
    capsys.readouterr()
    code, out, err = run_cli(
        capsys,
        "apply",
        "--source",
        str(pair.bench.root),
        "--json",
        "--push",
        "--open-pr",
        "--repo",
        "octo/site",
        *extra,
    )
    return code, (json.loads(out) if out.startswith("{") else {}), err


def _refuse_pushes(remote: Path, message: str) -> Path:
    """A pre-receive hook on the bare remote that refuses every push with ``message``."""
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    hook.chmod(0o755)
    return hook


def _remote_head(remote: Path) -> str:
    return git(remote, "rev-parse", f"refs/heads/{BRANCH}").strip()


def test_created_updated_none_closed(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, state, remote = site
    pair.publish(*RUNS[:2])
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["pr"]["operation"] == "created" and report["pr"]["number"] == 1
    assert report["pushed"] is True
    assert _remote_head(remote) == report["commit"]
    [pull] = state.open_pulls()
    assert pull["title"] == "[Auto] Sync Benchmark Results"
    assert pull["head"]["ref"] == BRANCH and pull["base"]["ref"] == "main"
    assert pull["label_names"] == ["automated", "benchmark-sync", "data-update"]
    assert "**2 new**" in pull["body"]

    pair.publish(RUNS[2])  # one more result before the PR is merged
    pair.site_git("checkout", "-q", "main")
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["pr"]["operation"] == "updated" and report["pr"]["number"] == 1
    assert "**3 new**" in state.pulls[1]["body"]
    assert _remote_head(remote) == report["commit"]

    pushes_before = len(git(remote, "reflog", "--all").splitlines())
    code, report, _ = publish(capsys, pair)
    assert code == 0 and report["pr"]["operation"] == "none" and report["pushed"] is False
    assert len(git(remote, "reflog", "--all").splitlines()) == pushes_before

    # the PR's results reach main another way: nothing is left to sync
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.site_git("push", "-q", "origin", "main")
    code, report, _ = publish(capsys, pair)
    assert code == 0 and report["pr"]["operation"] == "closed"
    assert state.pulls[1]["state"] == "closed"
    assert state.comments and "Nothing is left to sync" in state.comments[0][1]
    code, report, _ = publish(capsys, pair)
    assert report["pr"]["operation"] == "none" and report["pr"]["number"] is None


def test_missing_labels_are_created(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, state, _remote = site
    state.labels["automated"] = {"name": "automated", "color": "ededed"}
    pair.publish(RUNS[0])
    assert publish(capsys, pair)[0] == 0
    assert set(state.labels) == {"automated", "benchmark-sync", "data-update"}
    assert state.labels["automated"]["color"] == "ededed"  # existing one untouched
    created = [
        r
        for r in state.requests
        if r[0] == "POST" and r[1].endswith("/labels") and "/issues/" not in r[1]
    ]
    assert len(created) == 2


@pytest.mark.parametrize(
    ("method", "prefix", "status", "headers"),
    [
        ("POST", "/repos/octo/site/pulls", 502, {}),
        ("GET", "/repos/octo/site/pulls", 503, {}),
        ("POST", "/repos/octo/site/pulls", 403, {"Retry-After": "1"}),
        ("GET", "/repos/octo/site/labels", 429, {"Retry-After": "0"}),
        ("POST", "/repos/octo/site/issues/1/labels", 422, {}),
        (
            "GET",
            "/repos/octo/site/pulls",
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "{now+1}"},
        ),
    ],
    ids=[
        "502 once",
        "503 once",
        "403 retry-after",
        "429 retry-after",
        "422 first label add",
        "403 rate-limit reset",
    ],
)
def test_transient_errors_are_retried(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    method: str,
    prefix: str,
    status: int,
    headers: dict[str, str],
) -> None:
    pair, state, _remote = site
    pair.publish(RUNS[0])
    headers = {k: v.replace("{now+1}", str(int(time.time()) + 1)) for k, v in headers.items()}
    state.fail(method, prefix, status, headers)
    started = time.monotonic()
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["pr"]["operation"] == "created"
    assert state.open_pulls()[0]["label_names"] == ["automated", "benchmark-sync", "data-update"]
    statuses = [r[2] for r in state.requests if r[0] == method and r[1].startswith(prefix)]
    assert statuses[0] == status and statuses[-1] < 300
    if headers.get("Retry-After") == "1":
        assert time.monotonic() - started >= 1.0  # it did wait as told


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda s, m: m.setenv("GITHUB_TOKEN", "wrong"), "refused the token"),
        (lambda s, m: s.fail("GET", "/repos/octo/site/pulls", 502, times=99), "kept failing (502)"),
        (
            lambda s, m: s.fail("GET", "/repos/octo/site/pulls", 403, {"Retry-After": "3600"}),
            "rate limit",
        ),
    ],
    ids=["401", "5xx forever", "403 longer than api_max_wait"],
)
def test_api_failures_are_one_line(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setup: Any,
    message: str,
) -> None:
    pair, state, _remote = site
    pair.publish(RUNS[0])
    setup(state, monkeypatch)
    code, _report, err = publish(capsys, pair)
    assert code == 1
    assert err.startswith("benchsync apply: GitHub") and message in err
    assert len(err.strip().splitlines()) == 1
    assert TOKEN not in err and "wrong" not in err


def test_wrong_repository_is_404(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, _state, _remote = site
    pair.publish(RUNS[0])
    capsys.readouterr()
    code, _out, err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), "--open-pr", "--repo", "octo/nope"
    )
    assert code == 1 and "404" in err and "check --repo OWNER/NAME" in err


def test_no_token_is_exit_2_before_any_work(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pair, state, _remote = site
    pair.publish(RUNS[0])
    monkeypatch.delenv("GITHUB_TOKEN")
    code, _report, err = publish(capsys, pair)
    assert code == 2 and "--open-pr needs a token in $GITHUB_TOKEN" in err
    assert pair.site_git("branch", "--list", BRANCH) == "" and state.requests == []
    monkeypatch.setenv("MY_TOKEN", TOKEN)
    code, report, _ = publish(capsys, pair, "--token-env", "MY_TOKEN")
    assert code == 0 and report["pr"]["operation"] == "created"


def test_rejected_push_then_rerun_recovers(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, _state, remote = site
    pair.publish(RUNS[0])
    hook = _refuse_pushes(remote, "branch is frozen for maintenance")
    code, _report, err = publish(capsys, pair)
    assert code == 1
    assert "was rejected (remote: branch is frozen for maintenance)" in err
    assert len(err.strip().splitlines()) == 1
    hook.unlink()
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["changed"] is False and report["pushed"] is True  # recovered
    assert _remote_head(remote) == report["commit"]
    assert report["pr"]["operation"] == "created"


def test_lease_refuses_a_moved_remote_branch(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from benchsync_hooks.errors import PushError
    from benchsync_hooks.git import open_repo
    from benchsync_hooks.git.remote import push

    pair, _state, remote = site
    pair.publish(RUNS[0])
    code, report, _ = publish(capsys, pair)
    assert code == 0
    seen = report["commit"]
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", BRANCH, str(remote), str(other))
    git(other, "config", "user.email", "o@x.invalid")
    git(other, "config", "user.name", "other")
    git(other, "commit", "-q", "--allow-empty", "-m", "someone else")
    git(other, "push", "-q", "origin", BRANCH)
    moved = _remote_head(remote)
    repo = open_repo(pair.site)
    base = pair.site_git("rev-parse", "main").strip()
    with pytest.raises(PushError, match="the remote branch moved since this run started"):
        push(repo, "origin", BRANCH, commit=base, expected=seen)
    assert _remote_head(remote) == moved  # nothing overwritten


def test_push_without_permission(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, _state, remote = site
    pair.publish(RUNS[0])
    _refuse_pushes(remote, "remote: Permission to octo/site.git denied")
    code, _report, err = publish(capsys, pair)
    assert code == 1
    assert "push to 'origin' was refused: authentication failed" in err


def test_outputs_in_github_actions(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    pair, _state, _remote = site
    pair.publish(RUNS[0])
    output, summary = tmp_path / "out", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/site")
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--push", "--open-pr")
    assert code == 0
    assert "pull request #1 created: https://github.invalid/octo/site/pull/1" in out
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert values["pr-number"] == "1"
    assert values["pr-url"] == "https://github.invalid/octo/site/pull/1"
    assert values["pr-operation"] == "created"
    assert "Pull request #1 (created)" in summary.read_text()


def test_end_to_end_hooks_manifest_apply_push_pr(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Benchmark repo with the hooks' checks → manifest → apply → push → PR on the fake API."""
    pair, state, remote = site
    extra = samples.Run("vllm", "tiny-gpt2", "long", "20260131", 1, "long_input")
    pair.publish(*RUNS, extra)
    capsys.readouterr()
    import os

    os.chdir(pair.bench.root)
    assert run_cli(capsys, "check")[0] == 0
    os.chdir(pair.site)
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert len(report["new"]) == 5
    assert state.open_pulls()[0]["number"] == report["pr"]["number"]
    clone = pair.site.parent / "verify"
    git(pair.site.parent, "clone", "-q", "-b", BRANCH, str(remote), str(clone))
    for run in (*RUNS, extra):
        data = (pair.bench.root / run.source).read_bytes()
        assert (clone / run.target).read_bytes() == canonical_bytes(data)
