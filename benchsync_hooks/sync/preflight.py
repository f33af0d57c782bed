"""Before anything is written: the website's state must allow it, and so must the remote.

Refused with one line each: an operation in progress, the sync branch checked out in
another worktree, a folder, a git-ignored file or one hidden from git (skip-worktree,
assume-unchanged) at a target, staged changes or changes under the target root, and a
remote sync branch whose tip benchsync did not make.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import PushError, UsageError
from ..git import GitRepo
from ..git.commit import (
    branch_commit,
    has_commit,
    operation_in_progress,
    ref_in_the_way,
    resolve_or_none,
    stale_locks,
    worktree_holding,
)
from ..git.listing import ignored, status_lines
from ..git.ownership import BEHIND, REWRITTEN, foreign_tip
from ..git.remote import fetch_branch_objects
from ..git.repo import Background
from .values import Plan


def ensure_ours(
    website: GitRepo,
    *,
    remote: str,
    branch: str,
    commit: str,
    target_root: str,
    base: str,
    base_commit: str,
) -> None:
    """Refuse to push over a remote sync branch whose tip benchsync did not make (GitHub's
    *Update branch* merges of the base into it excepted: they hold nothing else). Asked
    before anything is committed or checked out: a refusal leaves the website as it was."""
    if not has_commit(website, commit):
        fetch_branch_objects(website, remote, branch)
    taken = foreign_tip(website, commit, target_root=target_root, base_commit=base_commit)
    if taken is None:
        return
    fixes = {
        BEHIND: f"after GitHub's Update branch, update {base} first (git pull on {base}, or "
        f"git fetch {remote} {base}:{base} from another branch; fetch-depth: 0 in "
        "actions/checkout), then run again; otherwise move that work elsewhere",
        REWRITTEN: f"delete the remote branch (git push {remote} --delete {branch}: the next "
        "run makes it again), or use Update branch (a merge) instead",
    }
    default = "merge or move that work elsewhere (or delete the remote branch), then run again"
    raise PushError(
        f"{remote}/{branch} is at {commit[:12]}, {taken.why}; {fixes.get(taken.kind, default)}"
    )


def ensure_writable(
    website: GitRepo,
    plan: Plan,
    *,
    target_root: str,
    branch: str,
    status: Background[list[str]] | None = None,
) -> None:
    """Refuse a website in the middle of something, or with changes of its own that the
    sync would touch: anything staged, and any change under ``target_root``.

    Files at this plan's targets that already hold exactly the planned bytes (left
    by an interrupted run) are not changes of the user's, so a rerun can converge.
    """
    operation = operation_in_progress(website)
    if operation is not None:
        raise UsageError(
            f"the website repository is in the middle of a {operation}; "
            f"finish it (git {operation} --continue) or abort it (git {operation} --abort) first"
        )
    locks = stale_locks(website, branch)
    if locks:
        raise UsageError(
            f"{locks[0]} exists: another git command is running in the website, or one was "
            "killed; let it finish, or remove that file, then run again"
        )
    holder = worktree_holding(website, branch)
    if holder is not None:
        raise UsageError(
            f"the sync branch {branch} is checked out in the worktree {holder}; switch that "
            "worktree to another branch, or pass --branch"
        )
    tip = branch_commit(website, branch)
    clash = ref_in_the_way(website, branch) if tip is None else None
    if clash is not None:
        raise UsageError(
            f"the branch {clash} exists, so git cannot make the sync branch {branch} beside "
            f"it; pass another --branch (or rename the branch {clash}), then run again"
        )
    if tip is not None:
        taken = foreign_tip(website, tip, target_root=target_root, base_commit=plan.base_commit)
        if taken is not None:
            base = plan.base
            fixes = {
                BEHIND: f"update {base} first (git pull on {base}, or git fetch from its "
                f"remote into {base} from another branch), then run again; otherwise move "
                "that work elsewhere",
                REWRITTEN: f"delete the branch (git branch -D {branch}: the next run makes it "
                "again), or keep that work on another branch",
            }
            default = (
                "the sync would reset it: pass another --branch, or move that work elsewhere "
                "and delete the branch"
            )
            raise UsageError(
                f"the branch {branch} is at {tip[:12]}, {taken.why}; "
                f"{fixes.get(taken.kind, default)}"
            )
    hidden = _hidden_from_git(website, target_root, {i.target for i in plan.writes})
    if hidden is not None:
        path, flag = hidden
        raise UsageError(
            f"{path} is marked {flag} in the index, so git hides your changes to it and the "
            "sync would overwrite them: run git update-index --no-skip-worktree "
            f"--no-assume-unchanged {path}, then run again"
        )
    lines = status.result() if status is not None else status_lines(website)
    in_the_way = [
        item
        for item in plan.new
        if _present(website.root / item.target)
        and _sha256_of(website.root / item.target) != item.sha256
    ]
    # A result tracked at HEAD (the sync branch of a rerun) is no file of the user's: the
    # checkout of the new commit replaces it, as git checkout would, if it is unchanged;
    # a change to it is refused with the others, below.
    tracked = _tracked_at_head(website, [i.target for i in in_the_way])
    for item in in_the_way:
        if item.target in tracked:
            continue
        inside = item.target + "/"
        if any(path.startswith(inside) for path in plan.website):
            raise UsageError(
                f"{item.target} is a folder in the base ({plan.base_commit[:12]}); a result "
                "file must go there: move or remove it in the website"
            )
        rule = ignored(website, [item.target]).get(item.target)
        why = f"git-ignored ({rule})" if rule else "not in git"
        raise UsageError(
            f"{item.target} is in the work tree but {why}; the sync would overwrite it: "
            "move it away, then run again"
        )
    planned = {i.target: i.sha256 for i in plan.writes}
    foreign = []
    for line in lines:
        path = line[3:]
        staged = line[0] not in " ?"
        if not staged and not path.startswith(target_root + "/"):
            continue  # an untracked or unstaged file elsewhere is the user's business
        expected = planned.get(path)
        if expected is not None and _sha256_of(website.root / path) == expected:
            continue
        foreign.append(line)
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise UsageError(
            f"the website working tree has uncommitted changes ({shown}); "
            "commit or stash them, then run again"
        )


def _hidden_from_git(
    website: GitRepo, target_root: str, targets: set[str]
) -> tuple[str, str] | None:
    """The first of ``targets`` the index marks skip-worktree or assume-unchanged
    (``git ls-files -v``: ``S``, or a lower-case tag), and which mark; None when none is."""
    if not targets:
        return None
    out = website.out("--literal-pathspecs", "ls-files", "-v", "-z", "--", target_root)
    for record in out.split(b"\0"):
        tag, _, raw = record.partition(b" ")
        if len(tag) != 1 or not (tag == b"S" or tag.islower()):
            continue
        path = raw.decode("utf-8", "surrogateescape")
        if path in targets:
            return path, "skip-worktree" if tag in (b"S", b"s") else "assume-unchanged"
    return None


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _tracked_at_head(website: GitRepo, paths: list[str]) -> set[str]:
    """Which of ``paths`` HEAD's tree holds (none on an unborn HEAD)."""
    if not paths or resolve_or_none(website, "HEAD") is None:
        return set()
    out = website.out("--literal-pathspecs", "ls-tree", "-z", "--name-only", "HEAD", "--", *paths)
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}


def _sha256_of(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
