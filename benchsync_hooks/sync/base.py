"""BASE, the commit the sync branch starts from, when ``--base`` does not name it."""

from __future__ import annotations

from ..errors import UsageError
from ..git import GitRepo
from ..git.commit import (
    branch_commit,
    commit_info,
    current_branch,
    resolve_or_none,
)
from ..git.objects import object_info
from ..git.ownership import made_by_benchsync


def base_of(website: GitRepo, branch: str, given: str | None, *, target_root: str) -> str:
    """The base: ``--base``, else the checked-out branch; on the sync branch, or on a
    detached HEAD at a commit benchsync made (a run killed after its checkout), the base
    that commit's ``Benchsync-Base:`` trailer records. Never the sync branch itself (a
    branch fast-forwarded to a sync commit records itself as that commit's base)."""
    current = None if given else current_branch(website)
    found = _base(website, branch, given, current=current, target_root=target_root)
    base = found if found == current else _as_branch(website, found)
    names = (branch, f"heads/{branch}", f"refs/heads/{branch}")
    if base in names:
        raise UsageError(
            f"{branch} would be both the base and the sync branch, which benchsync resets on "
            "each run: pass --branch with a branch of its own (the default is "
            "benchsync/sync-results), or --base with the branch the pull request goes to"
        )
    tip = object_info(website, f"refs/heads/{branch}")  # (the persistent cat-file: no process)
    if tip is not None and tip[1] == "commit" and recorded_base(website, tip[0]) in names:
        raise UsageError(
            f"{branch} is a base: its last commit is a sync merged into {branch} (it records "
            f"{branch} as its base), and benchsync would reset it: pass --branch with a "
            "branch of its own (the default is benchsync/sync-results)"
        )
    return base


def _as_branch(website: GitRepo, base: str) -> str:
    """The branch ``base`` names (``HEAD``, ``@`` or ``heads/main`` as ``main``), or a
    remote's branch as given: the base is recorded in the sync commit and read by later
    runs, so it must name the same branch then. A commit, tag or expression is refused; a
    name git does not know is left to the lookup that says so."""
    if not base.startswith("-"):  # (no --end-of-options: this git prints it back)
        full = website.text("rev-parse", "--symbolic-full-name", base)
        if full.startswith("refs/heads/"):
            return full.removeprefix("refs/heads/")
        if full.startswith("refs/remotes/") or resolve_or_none(website, base) is None:
            return base
    raise UsageError(
        f"base {base!r} is not a branch (a commit, tag or expression): pass the branch the "
        "pull request goes to (--base BRANCH)"
    )


def _base(
    website: GitRepo, branch: str, given: str | None, *, current: str | None, target_root: str
) -> str:
    if given:
        return given
    if current is not None and current != branch:
        return current
    if current is None:
        from ..git.commit import operation_in_progress

        operation = operation_in_progress(website)
        if operation is not None:
            raise UsageError(
                f"the website is in the middle of a {operation}; finish it "
                f"(git {operation} --continue) or abort it (git {operation} --abort) first"
            )
        head = resolve_or_none(website, "HEAD")
        if head is not None and made_by_benchsync(website, head, target_root=target_root):
            recorded = recorded_base(website, head)
            if recorded:
                return recorded
        raise UsageError("the website has a detached HEAD; pass --base BRANCH")
    head = branch_commit(website, branch)
    if head is not None:
        recorded = recorded_base(website, head)
        if recorded:
            return recorded
    raise UsageError(
        f"the website is on {branch}, the sync branch (--branch or the config's branch), and "
        f"no earlier sync made it: pass --base BRANCH, or name another sync branch (benchsync "
        "resets it on each run)"
    )


def recorded_base(website: GitRepo, commit: str) -> str | None:
    """The base a benchsync commit's ``Benchsync-Base:`` trailer names, if any."""
    _tree, _parents, message = commit_info(website, commit)
    trailers = message.rstrip("\n").rpartition("\n\n")[2]  # (the last paragraph only)
    for line in trailers.splitlines():
        if line.startswith("Benchsync-Base: "):
            return line.split(": ", 1)[1].strip() or None
    return None
