"""Refs, commits and the checked-out branch: resolve, inspect, commit, move."""

from __future__ import annotations

from pathlib import Path

from ..errors import GitError
from .listing import entries_at
from .repo import GitRepo, last_line


def resolve_commit(repo: GitRepo, ref: str, *, what: str = "ref") -> str:
    """The commit ``ref`` names; a :class:`GitError` that says what it is otherwise."""
    found = resolve_or_none(repo, ref)
    if found is not None:
        return found
    kind = repo.text("cat-file", "-t", "--", ref) if not ref.startswith("-") else ""
    if kind in ("tree", "blob"):
        raise GitError(f"{what} {ref!r} names a {kind}, not a commit; pass a branch, tag or commit")
    if resolve_or_none(repo, "HEAD") is None and not repo.text(
        "for-each-ref", "--count=1", "--format=%(refname)"
    ):
        raise GitError(
            f"{what} {ref!r} does not exist in {repo.root}: the repository has no commit "
            "yet; make a first commit, then run again"
        )
    option = "--base" if what == "base" else "--ref"
    raise GitError(f"{what} {ref!r} does not exist in {repo.root}; check {option}")


def resolve_or_none(repo: GitRepo, ref: str) -> str | None:
    if ref.startswith("-"):
        return None
    found = repo.text("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    return found or None


def current_branch(repo: GitRepo) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    return repo.text("symbolic-ref", "--quiet", "--short", "HEAD") or None


def branch_commit(repo: GitRepo, branch: str) -> str | None:
    return repo.text("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}") or None


def behind_upstream(repo: GitRepo, branch: str) -> tuple[str, int] | None:
    """(upstream, commits) when the local ``branch`` lacks commits its upstream had when
    it was last fetched (no network: the remote-tracking branch as it is); else None."""
    ref = f"refs/heads/{branch}"
    lines = repo.text(
        "for-each-ref", "--format=%(refname) %(upstream:short) %(upstream:track,nobracket)", ref
    ).splitlines()  # (a pattern names a folder of branches too: only the branch itself)
    line = next((found for found in lines if found.startswith(f"{ref} ")), "")
    upstream, _, track = line.removeprefix(f"{ref} ").partition(" ")
    for part in track.split(", "):
        if part.startswith("behind ") and part[7:].isdigit():
            return upstream, int(part[7:])
    return None


def commit_info(repo: GitRepo, commit: str) -> tuple[str, list[str], str]:
    """(tree id, parent ids, message) of a commit (read by the persistent ``cat-file``)."""
    if "\n" in commit:  # cat-file reads one name per line
        raise GitError(f"cannot read commit {commit!r}: a name with a line break")
    try:
        _sha, kind, _size, out = repo.handle.git.get_object_data(commit)
    except ValueError:
        raise GitError(f"cannot read commit {commit}: it does not exist") from None
    if (kind.decode() if isinstance(kind, bytes) else kind) != "commit":
        raise GitError(f"cannot read commit {commit}: it is a {kind!r}, not a commit")
    header, _, message = out.decode("utf-8", "replace").partition("\n\n")
    tree = ""
    parents: list[str] = []
    for line in header.splitlines():
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
    return tree, parents, message


def operation_in_progress(repo: GitRepo) -> str | None:
    """'merge', 'rebase', 'cherry-pick', 'revert' or 'bisect' when one is under way."""
    git_dir = Path(repo.handle.git_dir)  # this worktree's own git directory
    for marker, name in (
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
        ("BISECT_LOG", "bisect"),
    ):
        if (git_dir / marker).exists():
            return name
    return None


def stale_locks(repo: GitRepo, branch: str) -> list[Path]:
    """git's lock files that would stop the index, HEAD or ``branch`` from moving."""
    own = Path(repo.handle.git_dir)  # this worktree's index and HEAD
    common = Path(repo.handle.common_dir)
    found = [own / "index.lock", own / "HEAD.lock", common / "refs" / "heads" / f"{branch}.lock"]
    return [lock for lock in found if lock.exists() or lock.is_symlink()]


def worktree_holding(repo: GitRepo, branch: str) -> str | None:
    """Another worktree that has ``branch`` checked out (its path), if any."""
    out = repo.out("worktree", "list", "--porcelain").decode("utf-8", "surrogateescape")
    here = str(repo.root)
    path = ""
    for line in out.splitlines():
        if line.startswith("worktree "):
            path = line[len("worktree ") :]
        elif line == f"branch refs/heads/{branch}" and Path(path).resolve() != Path(here):
            return path
    return None


def _identity(repo: GitRepo) -> list[str]:
    """``-c user.name=… -c user.email=…`` when the repository has no identity (CI)."""
    args: list[str] = []
    for key, fallback in (
        ("user.name", "benchsync"),
        ("user.email", "benchsync@users.noreply.github.com"),
    ):
        if not repo.text("config", "--get", key):
            args += ["-c", f"{key}={fallback}"]
    return args


def commit_tree(repo: GitRepo, tree: str, parent: str, *, message: str) -> str:
    out = repo.out(
        *_identity(repo), "commit-tree", tree, "-p", parent, "-F", "-", data=message.encode()
    )
    return out.decode().strip()


def update_branch(repo: GitRepo, branch: str, commit: str, *, old: str | None) -> None:
    """Point ``branch`` at ``commit``, only if it still is at ``old`` (None: absent)."""
    status, _out, err = repo.run(
        "update-ref", "-m", "benchsync apply", f"refs/heads/{branch}", commit, old or "0" * 40
    )
    if status:
        raise GitError(f"cannot move branch {branch}: {last_line(err)}")


def restore_branch(repo: GitRepo, branch: str, *, was: str | None, now: str) -> None:
    """Put ``branch`` back at ``was`` (None: delete it), only while it is still at ``now``
    (the commit this run moved it to); best effort, for the way back from a failure."""
    ref = f"refs/heads/{branch}"
    undo = ("update-ref", "-m", "benchsync apply: undone")
    repo.run(*undo, "-d", ref, now) if was is None else repo.run(*undo, ref, was, now)


def index_matches_head(repo: GitRepo) -> bool:
    """True when the index holds HEAD's tree (nothing staged)."""
    return (
        repo.run("diff-index", "--cached", "--quiet", "--ignore-submodules=none", "HEAD", "--")[0]
        == 0
    )


def switch_to(repo: GitRepo, branch: str) -> None:
    """Make ``branch`` the checked-out branch and reset the index to it (not the files)."""
    _head_to(repo, branch)
    repo.out("reset", "-q", "--mixed", "HEAD")


class IndexLeft(GitError):
    """The switch failed and the index could not be put back as it was."""


def switch_adding(repo: GitRepo, branch: str, paths: list[str]) -> None:
    """Check out ``branch`` whose tree is the current index plus ``paths`` (just written):
    add those paths to the index, without rewriting the rest of it, then move HEAD. When
    HEAD cannot move, the index entries of ``paths`` are put back as HEAD has them: a
    failure leaves HEAD and the index as they were."""
    data = ("\0".join(paths) + "\0").encode("utf-8", "surrogateescape")
    repo.out("update-index", "--add", "-z", "--stdin", data=data)
    try:
        _head_to(repo, branch)
    except BaseException:
        had = entries_at(repo, "HEAD", paths)
        lines = [
            f"{had[p].mode} {had[p].blob}\t{p}" if p in had else f"0 {'0' * 40}\t{p}" for p in paths
        ]
        back = ("\0".join(lines) + "\0").encode("utf-8", "surrogateescape")
        status, _out, err = repo.run("update-index", "-z", "--index-info", data=back)
        if status:
            raise IndexLeft(
                f"git symbolic-ref failed, and putting the index back failed too "
                f"({last_line(err)}): once no other git command runs there, git reset -q"
            ) from None
        raise


def detach_at(repo: GitRepo, commit: str) -> list[str]:
    """Check ``commit`` out on a detached HEAD as ``git checkout`` does, never forced: the
    user's changes are carried over, and nothing at all is touched when one would be
    overwritten, a git-ignored file included (``--no-overwrite-ignore``). The paths in
    the way (empty: done)."""
    status, _out, err = repo.run(
        "checkout", "-q", "--no-overwrite-ignore", "--detach", commit, "--"
    )
    if not status:
        return []
    lines = err.splitlines()
    return [line.strip() for line in lines if line.startswith("\t")] or [last_line(err)]


def checkout_branch(repo: GitRepo, branch: str) -> list[str]:
    """Check ``branch`` out as ``git checkout`` does, never forced (see :func:`detach_at`)."""
    status, _out, err = repo.run("checkout", "-q", "--no-overwrite-ignore", branch, "--")
    if not status:
        return []
    lines = err.splitlines()
    return [line.strip() for line in lines if line.startswith("\t")] or [last_line(err)]


def attach(repo: GitRepo, branch: str) -> None:
    """Put HEAD on ``branch``, which points at the commit checked out (files as they are)."""
    _head_to(repo, branch)


def restore_paths(repo: GitRepo, paths: list[str], *, at: str) -> None:
    """Put ``paths`` back as commit ``at`` has them (index and files); a path ``at`` lacks
    is removed from both."""
    if not paths:
        return
    listed = repo.out("ls-tree", "-z", "--name-only", at, "--", *paths).split(b"\0")
    present = {p.decode("utf-8", "surrogateescape") for p in listed if p}
    if present:
        repo.out("checkout", "-q", at, "--", *sorted(present))
    gone = [p for p in paths if p not in present]
    if gone:
        data = ("\0".join(gone) + "\0").encode("utf-8", "surrogateescape")
        repo.out("update-index", "--force-remove", "-z", "--stdin", data=data)
        for path in gone:
            (repo.root / path).unlink(missing_ok=True)


def ref_in_the_way(repo: GitRepo, branch: str) -> str | None:
    """A branch whose name makes ``branch`` impossible to create (git keeps refs as files:
    ``a`` rules out ``a/b``, and ``a/b`` rules out ``a``); None when there is none."""
    parts = branch.split("/")
    for depth in range(1, len(parts)):
        prefix = "/".join(parts[:depth])
        if repo.text("rev-parse", "--verify", "--quiet", f"refs/heads/{prefix}"):
            return prefix
    under = repo.text(
        "for-each-ref", "--count=1", "--format=%(refname:short)", f"refs/heads/{branch}/"
    )
    return under or None


def check_branch_name(repo: GitRepo, branch: str) -> None:
    """A branch name git accepts, never one it could read as an option."""
    status = 1
    if branch and not branch.startswith(("-", "refs/")) and branch != "HEAD":
        status = repo.run("check-ref-format", f"refs/heads/{branch}")[0]
    if status:
        raise GitError(f"{branch!r} is not a valid branch name; pass e.g. --branch benchsync/sync")


def has_commit(repo: GitRepo, commit: str) -> bool:
    return repo.run("cat-file", "-e", f"{commit}^{{commit}}")[0] == 0


def _head_to(repo: GitRepo, branch: str) -> None:
    """Point HEAD at ``branch`` (its reflog entry says who did, for a user's recovery)."""
    repo.out(
        "symbolic-ref", "-m", f"benchsync apply: checkout {branch}", "HEAD", f"refs/heads/{branch}"
    )
