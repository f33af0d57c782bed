"""Whose commit is the sync branch's tip: benchsync's as it made it, or GitHub's *Update
branch* merge of the base into it (and nothing else), or someone's work not to reset over."""

from __future__ import annotations

from typing import NamedTuple

from .commit import commit_info
from .repo import GitRepo

#: The trailer of a benchsync commit that names the tree it made (an amend changes it).
TREE_TRAILER = "Benchsync-Tree: "
#: How many *Update branch* merges in a row are followed back to benchsync's commit.
MAX_MERGES = 20


def made_by_benchsync(repo: GitRepo, commit: str, *, target_root: str) -> bool:
    """Whether ``commit`` is one benchsync made, as it made it: its message has the source
    trailer, and the tree it names is its tree. Commits of 0.3 and older name none: such a
    commit must have one parent and change nothing outside ``target_root`` (an amend that
    adds a file elsewhere is the user's)."""
    tree, parents, message = commit_info(repo, commit)
    if "\nBenchsync-Source-Commit: " not in message:
        return False
    named = [
        line[len(TREE_TRAILER) :].strip()
        for line in message.splitlines()
        if line.startswith(TREE_TRAILER)
    ]
    if named:
        return named == [tree]
    if len(parents) != 1:
        return False
    inside = target_root.strip("/") + "/"
    changed = _changed(repo, parents[0], commit)
    return changed is not None and all(path.startswith(inside) for path in changed)


class Foreign(NamedTuple):
    """Why the sync branch must not be reset over its tip (the caller says what to do, by
    ``kind``: where the branch is decides the commands)."""

    why: str
    kind: str  # FOREIGN, BEHIND (a merge of what the base lacks) or REWRITTEN


FOREIGN, BEHIND, REWRITTEN = "foreign", "behind", "rewritten"
NOT_OURS = Foreign("a commit benchsync did not make (or one changed since)", FOREIGN)


def foreign_tip(
    repo: GitRepo, commit: str, *, target_root: str, base_commit: str
) -> Foreign | None:
    """None when the sync branch may be reset over ``commit``: benchsync made it, or it is
    GitHub's *Update branch* (a merge of a commit the base holds into such a tip, as many
    times as it was clicked) that adds nothing of its own. Such a merge differs from the
    commit it merged only where the tip it merged into changed a file itself, and there
    holds the tip's file: no edit, no hand-resolved conflict, no other branch's work."""
    merges: list[tuple[str, list[str]]] = []  # down the first parents to benchsync's commit
    tip = commit
    while not made_by_benchsync(repo, tip, target_root=target_root):
        _tree, parents, message = commit_info(repo, tip)
        if len(parents) == 1 and TREE_TRAILER in message and not merges:
            return Foreign(
                f"benchsync's commit rewritten onto {parents[0][:12]} (GitHub's Update with "
                "rebase, or an amend): its files cannot be told from edits",
                REWRITTEN,
            )
        if len(parents) != 2 or len(merges) == MAX_MERGES:
            return NOT_OURS
        merges.append((tip, parents))
        tip = parents[0]
    if not all(_merges_only(repo, merge, parents) for merge, parents in merges):
        return NOT_OURS
    for _merge, (_ours, theirs) in merges:
        if repo.run("merge-base", "--is-ancestor", theirs, base_commit)[0]:
            return Foreign(
                f"a merge of {theirs[:12]}, which the base ({base_commit[:12]}) does not hold",
                BEHIND,
            )
    return None


def _merges_only(repo: GitRepo, merge: str, parents: list[str]) -> bool:
    """``merge`` = its second parent plus what its first parent changed itself, taken as
    the first parent has it: every path the merge brings over its second parent is one
    the first parent changed, and every path the first parent changed is as it has it."""
    ours, theirs = parents
    _tree, grand, _message = commit_info(repo, ours)
    # What the first parent changed itself: a sync commit against its base, an earlier
    # *Update branch* merge against the commit it merged.
    own = _changed(repo, grand[-1], ours) if grand else None
    brought = _changed(repo, theirs, merge)
    edited = _changed(repo, ours, merge)
    if own is None or brought is None or edited is None:
        return False
    return brought <= own and not own & edited


def _changed(repo: GitRepo, old: str, new: str) -> set[str] | None:
    """The paths whose entry differs between two commits (None when git cannot tell)."""
    status, out, _err = repo.run(
        "diff-tree",
        "-r",
        "-z",
        "--no-renames",
        "--ignore-submodules=none",  # (a .gitmodules `ignore = all` hides a submodule bump)
        "--name-only",
        old,
        new,
        "--",
    )
    if status:
        return None
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}
