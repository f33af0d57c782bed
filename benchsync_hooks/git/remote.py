"""Remotes: what a remote branch holds, push with a lease, fetch a source by URL."""

from __future__ import annotations

import re

from ..errors import GitError, PushError
from .repo import GitRepo, last_line

_AUTH_WORDS = (
    "authentication",
    "could not read username",
    "permission to",
    "permission denied",
    "error: 403",
)


def check_remote_name(remote: str) -> None:
    """A remote is a configured name or a URL/path; never something git reads as an option."""
    if not remote or remote.startswith("-") or any(c in remote for c in "\0\n\r"):
        raise GitError(f"--remote {remote!r} is not a remote name; pass e.g. --remote origin")


def remote_branch(repo: GitRepo, remote: str, branch: str) -> str | None:
    """The commit ``branch`` has on ``remote`` now (None when absent)."""
    check_remote_name(remote)
    status, out, err = repo.run("ls-remote", "--heads", "--", remote, f"refs/heads/{branch}")
    if status:
        if any(word in err.lower() for word in _AUTH_WORDS):
            raise PushError(
                f"remote {remote!r} refused the credentials: {last_line(err)}; the token needs "
                "'contents: write' (GitHub Actions: permissions: contents: write)"
            )
        raise GitError(f"cannot reach remote {remote!r}: {last_line(err)}")
    for line in out.decode("utf-8", "replace").splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def push(repo: GitRepo, remote: str, branch: str, *, commit: str, expected: str | None) -> None:
    """Push ``commit`` to ``remote``'s ``branch``, only if the remote is still at ``expected``."""
    check_remote_name(remote)
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    status, out, err = repo.run(
        "push",
        "--porcelain",
        "--no-recurse-submodules",  # (the sync commit moves no submodule; no config decides)
        lease,
        "--",
        remote,
        f"{commit}:refs/heads/{branch}",
    )
    if status == 0:
        return
    text = (out.decode("utf-8", "replace") + err).lower()
    if any(word in text for word in _AUTH_WORDS):
        raise PushError(
            f"push to {remote!r} was refused: authentication failed; the token needs "
            "'contents: write' (GitHub Actions: permissions: contents: write)"
        )
    if "stale info" in text or "fetch first" in text or "non-fast-forward" in text:
        raise PushError(
            f"push of {branch} to {remote!r} was rejected: the remote branch moved since this "
            "run started; run benchsync apply again"
        )
    reason = next((ln for ln in err.splitlines() if ln.startswith("remote:")), last_line(err))
    raise PushError(
        f"push of {branch} to {remote!r} was rejected ({reason.strip()}); "
        "fix the remote side and run benchsync apply again"
    )


def default_branch(repo: GitRepo, url: str, shown: str) -> str:
    """The branch ``url``'s HEAD points at (``shown`` is the URL as it may be printed)."""
    status, out, err = repo.run("ls-remote", "--symref", "--", url, "HEAD")
    if status:
        raise GitError(
            f"cannot reach {shown}: {last_line(err)}; check --source and the access to it"
        )
    match = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", out.decode("utf-8", "replace"), re.M)
    if match is None:
        raise GitError(f"{shown} has no default branch; pass --ref")
    return match.group(1)


def fetch(repo: GitRepo, url: str, ref: str, *, into: str, shown: str) -> None:
    """Fetch ``ref`` of ``url`` (one commit deep) into the local ref ``into``."""
    if ref.startswith("-"):
        raise GitError(f"--ref {ref!r} is not a ref name")
    status, _out, err = repo.run(
        "fetch",
        "-q",
        "--no-tags",
        "--no-recurse-submodules",
        "--no-write-fetch-head",  # FETCH_HEAD would keep the URL, token and all
        "--depth",
        "1",
        "--",
        url,
        f"+{ref}:{into}",
    )
    if status:
        if "couldn't find remote ref" in err or "not our ref" in err:
            raise GitError(f"ref {ref!r} does not exist in {shown}; check --ref")
        raise GitError(f"cannot fetch {ref} from {shown}: {last_line(err).replace(url, shown)}")


def fetch_branch_objects(repo: GitRepo, remote: str, branch: str) -> None:
    """Bring the objects of ``remote``'s ``branch`` here (no ref is written)."""
    check_remote_name(remote)
    status, _out, err = repo.run(
        "fetch",
        "-q",
        "--no-tags",
        "--no-recurse-submodules",  # (a merge on the branch may move a submodule: its
        "--no-write-fetch-head",  # objects are not ours to fetch)
        "--",
        remote,
        f"refs/heads/{branch}",
    )
    if status:
        raise GitError(f"cannot fetch {branch} from {remote!r}: {last_line(err)}")
