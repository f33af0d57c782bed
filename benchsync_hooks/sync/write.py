"""Write a verified plan into the website: atomic files, one commit on a fixed branch."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GitError, IntegrityError, UsageError
from ..git import GitRepo
from ..git.commit import (
    IndexLeft,
    attach,
    branch_commit,
    checkout_branch,
    commit_info,
    commit_tree,
    current_branch,
    detach_at,
    index_matches_head,
    resolve_or_none,
    restore_branch,
    restore_paths,
    switch_adding,
    switch_to,
    update_branch,
)
from ..git.objects import store, tree_with
from ..git.ownership import TREE_TRAILER
from .durable import stage_all, sync_folders
from .state import TEMP, real_folder, replace_file
from .undone import not_back, put_back
from .values import Plan, PlannedFile

Item = PlannedFile


@dataclass(frozen=True)
class Outcome:
    branch: str | None
    commit: str | None
    changed: bool


def clear_temp(website: GitRepo) -> None:
    """Remove what a killed apply left in the temp folder (called under the lock)."""
    for leftover in real_folder(website, TEMP).iterdir():
        try:
            leftover.unlink()
        except OSError:
            continue


def stage_files(website: GitRepo, items: Sequence[Item]) -> list[Path]:
    """Write each item's bytes to a new temp file under .git/benchsync/tmp, fsynced
    (:mod:`.durable`); on a failure, none is left."""
    tmp_dir = real_folder(website, TEMP)
    made: list[Path] = []
    try:
        return stage_all(tmp_dir, [item.data for item in items], made=made)
    except BaseException as exc:  # (a signal too: every temp file made is removed)
        discard(made)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write under {tmp_dir}: {exc.strerror or exc}") from None
        raise


def discard(temps: list[Path]) -> None:
    for tmp in temps:
        tmp.unlink(missing_ok=True)


#: What :func:`place_files` did: (each file placed, with its old bytes or None), folders made.
Placed = tuple[list[tuple[Path, bytes | None]], list[Path]]


def place_files(website: GitRepo, items: Sequence[Item], temps: list[Path]) -> Placed:
    """Rename staged temp files into place: each file is either old or complete.

    A failure part-way (a full disk, a file where a directory should be) puts back
    what was already placed and removes the directories made, so the tree is as it was.
    What was done is returned, for :func:`_roll_back` should a later step fail.
    """
    placed: list[tuple[Path, bytes | None]] = []
    made: list[Path] = []
    try:
        for item, tmp in zip(items, temps, strict=True):
            target = website.root / item.target
            made.extend(_ensure_real_dirs(website.root, target.parent))
            old = target.read_bytes() if target.is_file() else None
            try:
                os.replace(tmp, target)
            except OSError as exc:
                if exc.errno != 18:  # EXDEV: .git on another file system
                    raise
                replace_file(target.parent, target.name, tmp.read_bytes())
                tmp.unlink()
            placed.append((target, old))
        # the new names last before the branch moves to them (each folder once)
        sync_folders([*(target.parent for target, _old in placed), *(f.parent for f in made)])
    except BaseException as exc:  # (a signal too: the website as it was)
        _roll_back(placed, made)
        discard(temps)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write into the website: {exc.strerror or exc}") from None
        raise
    return placed, made


def _roll_back(placed: list[tuple[Path, bytes | None]], made: list[Path]) -> None:
    for target, old in reversed(placed):
        try:
            if old is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(old)
        except OSError:
            continue
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            continue


def write_files(website: GitRepo, items: Sequence[Item]) -> None:
    """Each file: temp file under .git, fsync, rename into place (never half-written)."""
    place_files(website, items, stage_files(website, items))


def _ensure_real_dirs(root: Path, folder: Path) -> list[Path]:
    """Make the directories down to ``folder`` (never through a symlink); the ones made."""
    made: list[Path] = []
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            raise IntegrityError(
                f"{current.relative_to(root)} is a symbolic link; refusing to write"
            )
        if not current.exists():
            current.mkdir()
            made.append(current)
    return made


def commit_message(plan: Plan, *, tree: str) -> str:
    src = plan.source  # its location never holds user info (see source.shown)
    return (
        f"chore: sync benchmark results from {src.name}@{src.short}\n\n"
        f"{len(plan.new)} new and {len(plan.updated)} updated result files from "
        f"{src.location} ({src.ref}).\n\n"
        f"Benchsync-Source: {src.location}\n"
        f"Benchsync-Source-Commit: {src.commit}\n"
        f"Benchsync-Base: {plan.base}\n"
        f"{TREE_TRAILER}{tree}\n"
    )


def commit_plan(website: GitRepo, plan: Plan, branch: str) -> Outcome:
    """Create or reset ``branch`` at the base with the plan's files; check it out.

    Order for crash safety: temp files (fsynced) → blobs and trees stored → commit
    object → files renamed into place → branch ref → HEAD and index. A kill at any
    point leaves every file old or complete, and a rerun converges. The temp files come
    first on every path, also where git's checkout writes the files and they are only
    removed: a disk too full for them stops the run before anything is stored or moved.
    """
    items = plan.writes
    temps = stage_files(website, items)
    try:
        for item in items:
            blob = store(website, "blob", item.data)
            if blob != item.blob:  # pragma: no cover - the sha256 was verified already
                raise IntegrityError(f"{item.source}: stored blob {blob} is not {item.blob}")
        tree = tree_with(website, plan.base_commit, {i.target: i.blob for i in items})
        existing = branch_commit(website, branch)
        changed = True
        commit = None
        if existing is not None:
            old_tree, parents, _message = commit_info(website, existing)
            if old_tree == tree and parents == [plan.base_commit]:
                changed, commit = False, existing
        if commit is None:
            message = commit_message(plan, tree=tree)
            commit = commit_tree(website, tree, plan.base_commit, message=message)
        head = resolve_or_none(website, "HEAD")
        was_on = current_branch(website)
        on_branch = was_on == branch
    except BaseException:
        discard(temps)
        raise
    if on_branch and not changed:
        discard(temps)
        switch_to(website, branch)  # also repairs an index left by a killed run
        return Outcome(branch, commit, False)
    moved = False  # (the branch ref moved by this run: moved back on a failure after)
    if head == plan.base_commit and not on_branch:
        placed = place_files(website, items, temps)
        try:
            if changed:
                update_branch(website, branch, commit, old=existing)
                moved = True
            if index_matches_head(website):
                switch_adding(website, branch, [i.target for i in items])
            else:
                switch_to(website, branch)
        except BaseException as exc:
            if resolve_or_none(website, "HEAD") == head:  # (HEAD on the base still)
                _roll_back(*placed)
                if moved:
                    restore_branch(website, branch, was=existing, now=commit)
                if isinstance(exc, GitError) and not isinstance(exc, IndexLeft):
                    raise GitError(put_back(exc.message)) from None
            raise
        return Outcome(branch, commit, changed)
    discard(temps)
    _switch(website, items, head=head, commit=commit, back=was_on or head or "HEAD@{1}")
    try:
        if changed:
            update_branch(website, branch, commit, old=existing)
            moved = True
        attach(website, branch)
    except BaseException as exc:
        # Back where the user was (the files as they were: the switch carried the rest).
        if moved:
            restore_branch(website, branch, was=existing, now=commit)
        back = (
            checkout_branch(website, was_on)
            if was_on is not None
            else detach_at(website, head)
            if head is not None
            else ["no commit to go back to"]
        )
        if isinstance(exc, GitError):
            raise GitError(
                put_back(exc.message)
                if not back
                else not_back(exc.message, back[0], was_on or head)
            ) from None
        raise
    return Outcome(branch, commit, changed)


def _switch(
    website: GitRepo, items: Sequence[Item], *, head: str | None, commit: str, back: str
) -> None:
    """Check out ``commit`` (detached) from another commit than the base, as ``git
    checkout`` would: the user's changes elsewhere are carried over, never overwritten.

    A planned file already in the work tree with exactly its planned bytes (left by a
    killed run) is first put back as HEAD has it; the switch writes those bytes again.
    """
    if head is not None:
        leftovers = [i.target for i in items if _holds(website.root / i.target, i.data)]
        restore_paths(website, leftovers, at=head)
    blocked = detach_at(website, commit)
    unwritten = [
        i.target for i in items if not blocked and not _holds(website.root / i.target, i.data)
    ]
    if unwritten or any(_NO_ROOM.search(line) for line in blocked):
        # (git could not write them, or wrote other bytes and said nothing: a full disk,
        # a smudge filter)
        where = unwritten[0] if unwritten else blocked[0]
        folder = shlex.quote(os.path.commonpath([i.target.rpartition("/")[0] for i in items]))
        raise UsageError(
            f"git's checkout of the sync branch did not write {where} as planned (a full "
            f"disk? a filter in .gitattributes?); fix that, put the files back (git checkout "
            f"{commit[:12]} -- {folder}), return to {back} (git checkout {shlex.quote(back)}) "
            "and run again"
        )
    if blocked:
        shown = ", ".join(blocked[:3]) + (
            f" and {len(blocked) - 3} more" if len(blocked) > 3 else ""
        )
        raise UsageError(
            f"the website has local changes that checking out the sync branch would "
            f"overwrite ({shown}); commit or stash them, then run again"
        )


#: What git says when the disk refused a file during a checkout.
_NO_ROOM = re.compile(r"unable to write|No space left|Disk quota exceeded|File too large")


def _holds(path: Path, data: bytes | None) -> bool:
    try:
        return not path.is_symlink() and path.is_file() and path.read_bytes() == data
    except OSError:
        return False
