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


def _colleague(pair: Pair, remote: Path) -> Path:
    """A colleague's clone of the website's remote."""
    other = pair.site.parent / "colleague"
    git(pair.site.parent, "clone", "-q", str(remote), str(other))
    git(other, "config", "user.email", "c@example.invalid")
    git(other, "config", "user.name", "colleague")
    return other


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


def _update_branch(other: Path, *, push_base: bool = True) -> None:
    """GitHub's *Update branch*: the base got a commit, and was merged into the sync branch."""
    git(other, "checkout", "-q", "main")
    docs = other / "docs.md"
    docs.write_text((docs.read_text() if docs.exists() else "") + "a page of the website\n")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "docs")
    if push_base:
        git(other, "push", "-q", "origin", "main")
    git(other, "checkout", "-q", BRANCH)
    git(other, "merge", "-q", "--no-ff", "--no-edit", "main")


def _update_branch_then(edit: str) -> Callable[[Path], None]:
    """*Update branch*, its merge commit then amended with ``edit``: a file elsewhere, a
    result's bytes changed, or a result of the base deleted."""

    def change(other: Path) -> None:
        _update_branch(other)
        if edit == "a file elsewhere":
            (other / "FIX.md").write_text("mine\n")
        else:
            [result] = sorted((other / "data" / "results").rglob("*.json"))[:1]
            if edit == "a result edited":
                result.write_text(result.read_text().replace("{", "{ ", 1))
            else:
                result.unlink()
        git(other, "add", "-A")
        git(other, "commit", "-q", "--amend", "--no-edit")

    return change


def _merge_of_a_side_branch(other: Path) -> None:
    """A branch the base does not hold, merged into the sync branch."""
    git(other, "checkout", "-q", "-b", "side", "origin/main")
    (other / "side.md").write_text("side work\n")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "side")
    git(other, "checkout", "-q", BRANCH)
    git(other, "merge", "-q", "--no-ff", "--no-edit", "side")


def _reversed_merge(other: Path) -> None:
    """The sync branch merged into the base, and that merge pushed as the sync branch: its
    first parent is the base's commit, not benchsync's."""
    git(other, "checkout", "-q", "main")
    (other / "docs.md").write_text("a page of the website\n")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "docs")
    git(other, "merge", "-q", "--no-ff", "--no-edit", f"origin/{BRANCH}")
    git(other, "branch", "-q", "-f", BRANCH, "HEAD")
    git(other, "checkout", "-q", BRANCH)


def _update_with_rebase(other: Path) -> None:
    """GitHub's *Update with rebase*: benchsync's commit replayed onto the newer base."""
    _update_branch(other)  # (the base's new commit, pushed)
    git(other, "reset", "-q", "--hard", "HEAD^")
    git(other, "rebase", "-q", "main")


NOT_MADE = "a commit benchsync did not make (or one changed since); merge or move that work"
REWRITTEN = (
    "benchsync's commit rewritten onto {parent} (GitHub's Update with rebase, or an amend): "
    "its files cannot be told from edits; delete the remote branch (git push origin --delete "
    f"{BRANCH}: the next run makes it again), or use Update branch (a merge) instead"
)

# (case, what the colleague does to the remote sync branch, a first sync pushed before, the
# line's words after the commit)
FOREIGN: list[tuple[str, Callable[[Path], None], bool, str]] = [
    ("a commit of their own", _own_commit, False, NOT_MADE),
    ("benchsync's commit amended", _amended_sync_commit, True, REWRITTEN),
    ("Update with rebase", _update_with_rebase, True, REWRITTEN),
    ("Update branch, then a file added", _update_branch_then("a file elsewhere"), True, NOT_MADE),
    ("Update branch, then a result edited", _update_branch_then("a result edited"), True, NOT_MADE),
    (
        "Update branch, then a result deleted",
        _update_branch_then("a result deleted"),
        True,
        NOT_MADE,
    ),
    ("the sync branch merged into the base", _reversed_merge, True, NOT_MADE),
]


@pytest.mark.parametrize(("case", "change", "synced", "why"), FOREIGN, ids=[f[0] for f in FOREIGN])
def test_a_foreign_commit_on_the_remote_sync_branch_is_not_overwritten(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[Path], None],
    synced: bool,
    why: str,
) -> None:
    """Refused with one line that says what to do, before anything is committed or
    checked out in the website (it stays as it was)."""
    pair, _state, remote = site
    pair.publish(RUNS[0])
    if synced:
        assert publish(capsys, pair)[0] == 0
        pair.publish(RUNS[1])
    other = _colleague(pair, remote)
    change(other)
    git(other, "push", "-q", "-f", "origin", BRANCH)
    theirs = git(other, "rev-parse", "HEAD").strip()
    parent = git(other, "rev-parse", "--verify", "--quiet", "HEAD^", check=False).strip()
    before = _where_the_website_is(pair)
    code, _report, err = publish(capsys, pair)
    assert code == 1, case
    assert f"is at {theirs[:12]}, {why.format(parent=parent[:12])}" in err
    assert git(remote, "rev-parse", f"refs/heads/{BRANCH}").strip() == theirs
    assert _where_the_website_is(pair) == before


def _where_the_website_is(pair: Pair) -> tuple[str, str, str]:
    """The checked-out branch, the local sync branch's commit, and the work tree's state."""
    return (
        pair.site_git("symbolic-ref", "--short", "HEAD").strip(),
        git(pair.site, "rev-parse", "--verify", "--quiet", BRANCH, check=False).strip(),
        pair.site_git("status", "--porcelain", "--untracked-files=all"),
    )


@pytest.mark.parametrize("clicks", [1, 2], ids=["once", "twice"])
def test_githubs_update_branch_merge_is_replaced_by_the_next_sync(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str], clicks: int
) -> None:
    """*Update branch* merges the base into the open sync PR: that merge holds nothing but
    the base and benchsync's results, so the next sync resets the branch over it (onto the
    base, which now holds the merged commit), where it used to refuse every day."""
    pair, _state, remote = site
    pair.publish(RUNS[0])
    assert publish(capsys, pair)[0] == 0
    other = _colleague(pair, remote)
    for _ in range(clicks):
        _update_branch(other)
    git(other, "push", "-q", "origin", BRANCH)
    merged = git(other, "rev-parse", "HEAD").strip()
    assert len(git(other, "rev-parse", "HEAD^@").split()) == 2
    pair.site_git("fetch", "-q", "origin", "main:main")  # the workflow's checkout of the base
    pair.publish(RUNS[1])
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    tip = git(remote, "rev-parse", f"refs/heads/{BRANCH}").strip()
    assert tip == report["commit"] != merged
    assert git(remote, "rev-parse", f"{tip}^@").split() == [
        git(remote, "rev-parse", "refs/heads/main").strip()
    ]
    files = set(git(remote, "ls-tree", "-r", "--name-only", tip).split())
    before = set(git(remote, "ls-tree", "-r", "--name-only", merged).split())
    assert report["new"]
    assert files == before | set(report["new"])  # docs.md and the first results kept


@pytest.mark.parametrize(
    "change", [_update_branch, _merge_of_a_side_branch], ids=["base not fetched", "side branch"]
)
def test_a_merge_of_what_the_base_does_not_hold_is_not_overwritten(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
) -> None:
    """A merge into the sync branch of a commit the website's base does not hold: GitHub's
    *Update branch* seen from a stale checkout, or someone's side branch. One line says
    what to do in either case, and the remote branch stays."""
    pair, _state, remote = site
    pair.publish(RUNS[0])
    assert publish(capsys, pair)[0] == 0
    other = _colleague(pair, remote)
    change(other)
    git(other, "push", "-q", "origin", BRANCH)
    merged = git(other, "rev-parse", "HEAD").strip()
    theirs = git(other, "rev-parse", "HEAD^2").strip()
    pair.publish(RUNS[1])
    before = _where_the_website_is(pair)
    code, _report, err = publish(capsys, pair)
    assert code == 1
    assert err == (
        f"benchsync apply: origin/{BRANCH} is at {merged[:12]}, a merge of {theirs[:12]}, "
        f"which the base ({pair.site_git('rev-parse', 'main')[:12]}) does not hold; after "
        "GitHub's Update branch, update main first (git pull on main, or git fetch origin "
        "main:main from another branch; fetch-depth: 0 in actions/checkout), then run again; "
        "otherwise move that work elsewhere\n"
    )
    assert git(remote, "rev-parse", f"refs/heads/{BRANCH}").strip() == merged
    assert _where_the_website_is(pair) == before  # nothing committed or checked out


@pytest.mark.parametrize("bumped_by", ["the base", "the merge"])
def test_update_branch_with_a_submodule_marked_ignore_all(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str], bumped_by: str
) -> None:
    """A theme submodule that ``.gitmodules`` marks ``ignore = all`` (git's diff then hides
    its bumps, and fetch would try to reach it). A bump on the base, brought by GitHub's
    *Update branch*, is the base's: the next sync replaces the merge. A bump made inside
    the merge is someone's work: the remote branch is not reset over it."""
    pair, _state, remote = site
    tip = pair.site_git("rev-parse", "HEAD").strip()
    pair.site_git("update-index", "--add", "--cacheinfo", f"160000,{tip},themes/t")
    (pair.site / ".gitmodules").write_text(
        '[submodule "t"]\n\tpath = themes/t\n\turl = https://example.invalid/t.git\n'
        "\tignore = all\n"
    )
    pair.site_git("add", ".gitmodules")
    pair.site_git("commit", "-q", "-m", "theme")
    pair.site_git("push", "-q", "origin", "main")
    pair.publish(RUNS[0])
    assert publish(capsys, pair)[0] == 0
    other = _colleague(pair, remote)
    if bumped_by == "the base":
        git(other, "checkout", "-q", "main")
        git(other, "update-index", "--add", "--cacheinfo", f"160000,{tip[::-1]},themes/t")
        git(other, "commit", "-q", "-m", "theme bumped")
        git(other, "push", "-q", "origin", "main")
    _update_branch(other)
    if bumped_by == "the merge":
        main_tip = git(other, "rev-parse", "main").strip()
        git(other, "update-index", "--add", "--cacheinfo", f"160000,{main_tip},themes/t")
        git(other, "commit", "-q", "--amend", "--no-edit")
    git(other, "push", "-q", "origin", BRANCH)
    merged = git(other, "rev-parse", "HEAD").strip()
    pair.site_git("fetch", "-q", "--no-recurse-submodules", "origin", "main:main")  # as checkout
    pair.publish(RUNS[1])
    code, _report, err = publish(capsys, pair)
    now = git(remote, "rev-parse", f"refs/heads/{BRANCH}").strip()
    if bumped_by == "the base":
        assert code == 0, err
        assert now != merged
        assert git(remote, "rev-parse", f"{now}:themes/t").strip() == tip[::-1]
    else:
        assert code == 1, err
        assert f"is at {merged[:12]}, a commit benchsync did not make" in err
        assert now == merged
