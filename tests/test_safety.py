"""The website's own files and branches survive every apply: ignored, hidden or in the way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BRANCH, RUNS, Pair, canonical_bytes, git, run_cli


def _commit(pair: Pair, message: str) -> None:
    pair.site_git("add", "-A")
    pair.site_git("commit", "-q", "-m", message)


@pytest.mark.parametrize("ignore_in", [".gitignore", ".git/info/exclude"])
def test_a_git_ignored_file_the_checkout_would_replace_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str], ignore_in: str
) -> None:
    """The detach path (HEAD is not the base) never overwrites a git-ignored file, as git
    checkout does by default; the refusal names the file."""
    (pair.site / ignore_in).write_text("secrets.env\n")
    if ignore_in == ".gitignore":
        _commit(pair, "ignore")
    pair.site_git("checkout", "-q", "-b", "staging")
    (pair.site / "secrets.env").write_text("PLACEHOLDER=1\n")
    pair.site_git("add", "-f", "secrets.env")
    pair.site_git("commit", "-q", "-m", "template")
    pair.site_git("checkout", "-q", "main")
    (pair.site / "secrets.env").write_text("API_KEY=mine\n")
    pair.publish(RUNS[0])
    head = pair.site_git("rev-parse", "HEAD")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--base", "staging")
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert "would overwrite (secrets.env)" in line
    assert (pair.site / "secrets.env").read_text() == "API_KEY=mine\n"
    assert pair.site_git("rev-parse", "HEAD") == head
    assert pair.site_git("branch", "--list", BRANCH) == ""


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
def test_a_result_hidden_from_git_is_refused_before_anything_moves(
    pair: Pair, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    """A result the index marks skip-worktree or assume-unchanged holds changes git does not
    show: the sync would overwrite them (and leave the index holding the old blob)."""
    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.publish(RUNS[0], seed=7)
    local = pair.site_file(RUNS[0])
    local.write_text('{"my": "notes"}\n')
    pair.site_git("update-index", flag, RUNS[0].target)
    before = (pair.site_git("rev-parse", "HEAD", BRANCH), pair.site_git("ls-files", "-v"))
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert f"{RUNS[0].target} is marked {flag[2:]} in the index" in line
    assert line.endswith(
        f"run git update-index --no-skip-worktree --no-assume-unchanged {RUNS[0].target}, "
        "then run again"
    )
    assert local.read_text() == '{"my": "notes"}\n'
    assert (pair.site_git("rev-parse", "HEAD", BRANCH), pair.site_git("ls-files", "-v")) == before


@pytest.mark.parametrize(
    ("local", "refused"),
    [
        (None, None),  # tracked at HEAD, unchanged: the rerun replaces it
        ("edited", "uncommitted changes ( M {target})"),
        ("untracked", "{target} is in the work tree but not in git"),
    ],
    ids=["unchanged", "modified", "untracked"],
)
def test_a_rerun_on_the_sync_branch_replaces_a_result_only_it_committed(
    pair: Pair, capsys: pytest.CaptureFixture[str], local: str | None, refused: str | None
) -> None:
    """A result new to the base and in the open PR (the sync branch, where apply leaves the
    website) that the benchmark corrected: a rerun brings the correction in. A change of
    the user's there, or an untracked file at a new target, is still refused."""
    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    run = RUNS[1] if local == "untracked" else RUNS[0]
    pair.publish(run, seed=5)
    target = pair.site_file(run)
    if local is not None:
        target.write_text('{"my": "edit"}\n')
    before = target.read_bytes()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    if refused is None:
        assert code == 0, err
        assert target.read_bytes() == canonical_bytes(
            pair.bench.root.joinpath(run.source).read_bytes()
        )
        assert target.read_bytes() != before
        assert pair.site_git("status", "--porcelain") == ""
        assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH
    else:
        assert (code, out) == (2, "")
        [line] = err.splitlines()
        assert refused.format(target=run.target) in line
        assert target.read_bytes() == before


class Killed(BaseException):
    """A SIGKILL at that moment: nothing after it runs, no handler, no rollback."""


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("benchsync", None),  # a run killed just after its checkout: the rerun converges
        ("user", "the website has a detached HEAD; pass --base BRANCH"),
    ],
)
def test_a_detached_head_at_a_commit_benchsync_made_takes_its_recorded_base(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    at: str,
    expected: str | None,
) -> None:
    from benchsync_hooks.git import commit as git_commit
    from benchsync_hooks.git.repo import GitRepo
    from benchsync_hooks.sync import write

    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    pair.publish(RUNS[1])
    if at == "benchsync":

        def killed_after(repo: GitRepo, commit: str) -> list[str]:
            git_commit.detach_at(repo, commit)
            raise Killed

        with monkeypatch.context() as patch:
            patch.setattr(write, "detach_at", killed_after)
            with pytest.raises(Killed):
                run_cli(capsys, "apply", "--source", str(pair.bench.root))
    else:
        pair.site_git("checkout", "-q", "--detach")
        (pair.site / "mine.md").write_text("mine\n")
        _commit(pair, "mine")
    assert git(pair.site, "symbolic-ref", "-q", "HEAD", check=False) == ""
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    if expected is None:
        assert code == 0, err
        assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH
        assert (
            pair.site_git("rev-parse", f"{BRANCH}~1").strip()
            == pair.site_git("rev-parse", "main").strip()
        )
        assert pair.site_file(RUNS[1]).is_file()
        assert pair.site_git("status", "--porcelain") == ""
    else:
        assert code == 2
        assert err.splitlines() == [f"benchsync apply: {expected}"]


@pytest.mark.parametrize(
    ("website", "base", "expected"),
    [
        ("site", "nope", "base 'nope' does not exist in {root}; check --base"),
        (
            "empty",
            None,
            "base 'main' does not exist in {root}: the repository has no commit yet; make a "
            "first commit, then run again",
        ),
    ],
    ids=["unknown", "no-commit"],
)
def test_a_missing_base_says_what_to_do(
    pair: Pair, capsys: pytest.CaptureFixture[str], website: str, base: str | None, expected: str
) -> None:
    from conftest import init_repo

    pair.publish(RUNS[0])
    root = pair.site if website == "site" else init_repo(pair.site.parent / website)
    argv = ["apply", "--source", str(pair.bench.root), "--website", str(root)]
    code, out, err = run_cli(capsys, *argv, *(["--base", base] if base else []))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"benchsync apply: {expected.format(root=root)}"]


def _legacy_sync_commit(pair: Pair, change: str | None) -> str:
    """The sync branch at what 0.3.0 made (no ``Benchsync-Tree:`` trailer), then changed
    by the user as ``change`` says; the branch's new tip."""
    assert run_cli(pair.capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    message = pair.site_git("log", "-1", "--format=%B")
    legacy = "".join(
        line + "\n" for line in message.splitlines() if not line.startswith("Benchsync-Tree: ")
    )
    pair.site_git("reset", "-q", "--soft", "HEAD~1")
    pair.site_git("commit", "-q", "-m", legacy)
    if change == "amend-outside":
        (pair.site / "FIX.md").write_text("a fix of mine\n")
        pair.site_git("add", "FIX.md")
        pair.site_git("commit", "-q", "--amend", "--no-edit")
    elif change == "merge":
        tip = pair.site_git("rev-parse", "HEAD").strip()
        pair.site_git("checkout", "-q", "-b", "side", "main")
        (pair.site / "side.md").write_text("side\n")
        _commit(pair, "side")
        pair.site_git("checkout", "-q", BRANCH)
        pair.site_git("merge", "-q", "--no-edit", "side")
        assert pair.site_git("rev-parse", "HEAD~1").strip() == tip
        pair.site_git("commit", "-q", "--amend", "-m", legacy)
    pair.site_git("checkout", "-q", "main")
    return pair.site_git("rev-parse", BRANCH).strip()


def tip_parent(pair: Pair, tip: str) -> str:
    return pair.site_git("rev-parse", f"{tip}^2").strip()


@pytest.mark.parametrize(
    ("change", "ours"),
    [(None, True), ("amend-outside", False), ("merge", False)],
    ids=["as-made", "amended-outside-results", "merge"],
)
def test_a_legacy_sync_commit_is_ours_only_as_made(
    pair: Pair, capsys: pytest.CaptureFixture[str], change: str | None, ours: bool
) -> None:
    """A 0.3.0 sync commit names no tree: it is benchsync's only with one parent and
    changes under the target root alone; otherwise the branch is not reset over it."""
    pair.publish(RUNS[0])
    tip = _legacy_sync_commit(pair, change)
    pair.publish(RUNS[1])
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    if ours:
        assert code == 0, err
        assert pair.site_git("rev-parse", BRANCH).strip() != tip
    else:
        assert (code, out) == (2, "")
        [line] = err.splitlines()
        why = (  # (the merge brings only a side branch's file: it is said as a merge)
            f"a merge of {tip_parent(pair, tip)[:12]}, which the base"
            if change == "merge"
            else "a commit benchsync did not make"
        )
        assert f"the branch {BRANCH} is at {tip[:12]}, {why}" in line
        assert pair.site_git("rev-parse", BRANCH).strip() == tip


@pytest.mark.parametrize("base", [None, "other"], ids=["head-is-base", "detach"])
@pytest.mark.parametrize("existing", ["benchsync", f"{BRANCH}/old"], ids=["above", "below"])
def test_a_branch_in_the_way_of_the_sync_branch_is_refused_before_anything_moves(
    pair: Pair, capsys: pytest.CaptureFixture[str], existing: str, base: str | None
) -> None:
    """git keeps refs as files: a branch ``benchsync`` rules out ``benchsync/sync-results``,
    and one under ``benchsync/sync-results/`` rules it out too."""
    pair.site_git("branch", "other")
    pair.site_git("branch", existing)
    pair.publish(RUNS[0])
    before = (pair.snapshot(), pair.site_git("status", "--porcelain", "--untracked-files=all"))
    argv = ["apply", "--source", str(pair.bench.root), *(["--base", base] if base else [])]
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert f"the branch {existing} exists, so git cannot make the sync branch {BRANCH}" in line
    assert line.endswith(
        "pass another --branch (or rename the branch " + existing + "), then run again"
    )
    assert (
        pair.snapshot(),
        pair.site_git("status", "--porcelain", "--untracked-files=all"),
    ) == before
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == "main"


#: How the end of a sync fails: the branch ref refused, or another git process taking
#: the index's or HEAD's lock as soon as the branch moved (a real git failure each).
FAILURES = ["branch refused", "index locked", "HEAD locked"]


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize(
    ("argv", "on"),
    [([], "main"), (["--base", "other"], "main"), ([], BRANCH)],
    ids=["head-is-base", "base-elsewhere", "rerun-on-sync-branch"],
)
def test_a_failure_after_the_files_moved_leaves_the_website_as_it_was(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    on: str,
    how: str,
) -> None:
    """The branch ref cannot move (another process moved it, a disk error), or the switch
    to it fails: the files placed are put back, the index is as it was, and HEAD is on the
    branch the user was on, not detached. Once the lock is gone, a rerun syncs."""
    from benchsync_hooks.errors import GitError
    from benchsync_hooks.sync import write

    pair.site_git("branch", "other")
    if on == BRANCH:
        pair.publish(RUNS[0])
        assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    pair.publish(RUNS[1])
    (pair.site / "README.md").write_text("# site\n\nmy unsaved edit\n")
    before = (
        pair.snapshot(),
        pair.site_git("status", "--porcelain", "--untracked-files=all"),
        pair.site_git("rev-parse", "HEAD"),
    )

    refs = pair.site_git("for-each-ref")
    names = ("update_branch", "switch_adding", "switch_to", "attach")
    originals = {name: getattr(write, name) for name in names}
    lock = pair.site / ".git" / ("index.lock" if how == "index locked" else "HEAD.lock")
    if how == "branch refused":

        def refused(*_args: object, **_kwargs: object) -> None:
            raise GitError("cannot move branch: refused")

        monkeypatch.setattr(write, "update_branch", refused)
    else:  # the lock held by another git process during the switch, gone after it
        for name in ("switch_adding", "switch_to", "attach"):
            monkeypatch.setattr(write, name, _while_locked(getattr(write, name), lock))
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), *argv)
    if how == "index locked" and argv == [] and on == BRANCH:
        assert code == 0  # (from the sync branch the switch never writes the index)
        return
    assert code == 2
    if how == "branch refused":
        assert "cannot move branch" in err
    else:
        assert err.startswith("benchsync apply: git ") and err.endswith(
            f"Unable to create '{lock}': File exists.; the website was put back as it was: let "
            "the other git command finish (or remove that file if none runs), then run again\n"
        )
    after = (
        pair.snapshot(),
        pair.site_git("status", "--porcelain", "--untracked-files=all"),
        pair.site_git("rev-parse", "HEAD"),
    )
    assert after == before
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == on
    assert pair.site_git("for-each-ref") == refs
    for name, real in originals.items():  # (not monkeypatch.undo: it would undo the chdir)
        monkeypatch.setattr(write, name, real)
    (pair.site / "README.md").write_text("# site\n")  # (the unsaved edit put aside)
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root), *argv)[0] == 0
    assert RUNS[1].target in pair.site_git("ls-tree", "-r", "--name-only", BRANCH)


def _while_locked(real: Callable[..., object], lock: Path) -> Callable[..., object]:
    """``real``, run while ``lock`` exists (as another git process holds it)."""

    def locked(*args: object, **kwargs: object) -> object:
        lock.write_bytes(b"")
        try:
            return real(*args, **kwargs)
        finally:
            lock.unlink()

    return locked


@pytest.mark.parametrize(
    "path",
    [
        "data/results//a.json",
        "/data/results/a.json",
        "data/results/",
        "data/./results/a.json",
        "data/results/../../a.json",
        ".git/hooks/post-checkout",
        "data/.GIT/config",
        "data/results/.Git",
    ],
)
def test_a_tree_never_gets_a_name_git_or_a_file_system_reads_otherwise(
    pair: Pair, path: str
) -> None:
    from benchsync_hooks.errors import IntegrityError
    from benchsync_hooks.git import open_repo
    from benchsync_hooks.git.objects import store, tree_with

    website = open_repo(pair.site)
    blob = store(website, "blob", b"{}\n")
    head = pair.site_git("rev-parse", "HEAD").strip()
    with pytest.raises(IntegrityError) as raised:
        tree_with(website, head, {path: blob})
    [line] = str(raised.value).splitlines()
    assert repr(path) in line


def test_an_amended_sync_commit_on_the_local_branch_is_not_reset_over(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """benchsync's commit amended by hand (its tree no longer the one its trailer names):
    its files cannot be told from edits, so the branch is kept, and the line says how to
    start again."""
    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    (pair.site / "NOTE.md").write_text("mine\n")
    pair.site_git("add", "NOTE.md")
    pair.site_git("commit", "-q", "--amend", "--no-edit")
    tip = pair.site_git("rev-parse", "HEAD").strip()
    parent = pair.site_git("rev-parse", "HEAD^").strip()
    pair.site_git("checkout", "-q", "main")
    pair.publish(RUNS[1])
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, "")
    assert err == (
        f"benchsync apply: the branch {BRANCH} is at {tip[:12]}, benchsync's commit rewritten "
        f"onto {parent[:12]} (GitHub's Update with rebase, or an amend): its files cannot be "
        f"told from edits; delete the branch (git branch -D {BRANCH}: the next run makes it "
        "again), or keep that work on another branch\n"
    )
    assert pair.site_git("rev-parse", BRANCH).strip() == tip


def test_when_going_back_fails_too_the_line_gives_the_command(
    pair: Pair, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEAD's lock taken by another git process as the sync branch is checked out, and
    still held while benchsync goes back: the line says so and gives the checkout that
    finishes going back; with it done, a rerun syncs."""
    from benchsync_hooks.sync import write

    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0  # (on it now)
    pair.publish(*RUNS[:2])
    lock = pair.site / ".git" / "HEAD.lock"
    real = write.attach

    def taken(*args: object, **kwargs: object) -> None:
        lock.write_bytes(b"")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(write, "attach", taken)
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, "")
    assert err.startswith("benchsync apply: git symbolic-ref failed: Unable to create ")
    assert err.endswith(
        f"; going back failed too (Unable to create '{lock}': File exists.): once no other "
        f"git command runs there, git checkout {BRANCH}\n"
    )
    lock.unlink()
    monkeypatch.setattr(write, "attach", real)
    git(pair.site, "checkout", "-q", BRANCH)
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    assert RUNS[1].target in pair.site_git("ls-tree", "-r", "--name-only", BRANCH)
