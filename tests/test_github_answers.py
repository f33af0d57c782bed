"""Odd answers of the GitHub API and a foreign commit on the remote sync branch: one line each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, RUNS, Pair, git
from fake_github import TOKEN, State
from test_publish import publish, site

__all__ = ["site"]  # the fixture, shared with test_publish

PULLS = "/repos/octo/site/pulls"


UNEXPECTED = (
    "GitHub answered something unexpected while trying to list open pull requests of "
    "octo/site ({}); check GITHUB_API_URL and run again"
)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"status": 200, "body": b"<html>gateway</html>"}, UNEXPECTED.format("TypeError")),
        (
            {"status": 200, "body": [{"number": "seven", "html_url": 5, "state": "open"}]},
            UNEXPECTED.format("BadAttributeException"),
        ),
        (
            {"status": 302, "headers": {"Location": "http://127.0.0.2:9/elsewhere"}},
            UNEXPECTED.format("TypeError"),
        ),
        (
            {"status": 403, "headers": {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "nan"}},
            UNEXPECTED.format("ValueError"),
        ),
        (
            {"status": 429, "headers": {"Retry-After": "1e308"}},
            "GitHub rate limit while trying to list open pull requests of octo/site: it asks "
            "to wait more than 10^9 s, more than api_max_wait=5 s; run again later",
        ),
        (
            {"status": 403, "body": {"message": f"token {TOKEN} lacks scope"}},
            "GitHub answered 403 while trying to list open pull requests of octo/site: the "
            "token lacks permission (pull-requests: write, which covers labels too) — token "
            "*** lacks scope",
        ),
    ],
    ids=["not JSON", "wrong types", "redirect elsewhere", "reset nan", "wait 1e308", "echo"],
)
def test_an_odd_answer_is_one_line(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    answer: dict[str, Any],
    expected: str,
) -> None:
    pair, state, _remote = site
    pair.publish(RUNS[0])
    state.fail(
        "GET",
        PULLS,
        answer["status"],
        answer.get("headers"),
        times=99,
        body=answer.get("body"),
    )
    code, _report, err = publish(capsys, pair)
    assert code == 1, err
    assert err == f"benchsync apply: {expected}\n"
    assert TOKEN not in err


def _own_commit(other: Path) -> None:
    git(other, "checkout", "-q", "-b", BRANCH)
    (other / "notes.md").write_text("work in progress\n")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "my own work")


def _amended_sync_commit(other: Path) -> None:
    """benchsync's commit, amended with a file: its message keeps every trailer."""
    git(other, "checkout", "-q", BRANCH)
    (other / "FIX.md").write_text("a fix on the sync branch\n")
    git(other, "add", "-A")
    git(other, "commit", "-q", "--amend", "--no-edit")


# (case, what the colleague does to the remote sync branch, a first sync pushed before)
FOREIGN: list[tuple[str, Callable[[Path], None], bool]] = [
    ("a commit of their own", _own_commit, False),
    ("benchsync's commit amended", _amended_sync_commit, True),
]


@pytest.mark.parametrize(("case", "change", "synced"), FOREIGN, ids=[f[0] for f in FOREIGN])
def test_a_foreign_commit_on_the_remote_sync_branch_is_not_overwritten(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[Path], None],
    synced: bool,
) -> None:
    pair, _state, remote = site
    pair.publish(RUNS[0])
    if synced:
        assert publish(capsys, pair)[0] == 0
        pair.publish(RUNS[1])
    other = pair.site.parent / "colleague"
    git(pair.site.parent, "clone", "-q", str(remote), str(other))
    git(other, "config", "user.email", "c@example.invalid")
    git(other, "config", "user.name", "colleague")
    change(other)
    git(other, "push", "-q", "-f", "origin", BRANCH)
    theirs = git(other, "rev-parse", "HEAD").strip()
    code, _report, err = publish(capsys, pair)
    assert code == 1, case
    assert f"is at {theirs[:12]}, a commit benchsync did not make" in err
    assert git(remote, "rev-parse", f"refs/heads/{BRANCH}").strip() == theirs
