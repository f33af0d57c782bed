"""Every git interaction of benchsync, through GitPython (``git.Repo`` and ``repo.git``).

No module outside this package starts git. Listings come from ``ls-files`` and
``ls-tree`` text output (never GitPython's ``IndexFile``, which parses the whole
index in Python); object contents from GitPython's persistent ``cat-file``
processes; new objects go through GitPython's object database.
"""

from pathlib import Path

from ..errors import GitError
from .repo import GitRepo, open_any
from .repo import open_repo as _open_checkout

__all__ = ["GitRepo", "open_any", "open_repo", "require_sha1"]


def open_repo(start: Path) -> GitRepo:
    """The checkout that holds ``start`` (SHA-1 object ids); a :class:`GitError` that says
    what to do when there is none."""
    repo = _open_checkout(start)
    require_sha1(repo, what=f"the repository {repo.root}")
    return repo


def require_sha1(repo: GitRepo, *, what: str) -> None:
    """Refuse a repository with SHA-256 object ids: manifests, listings and the objects
    benchsync writes are SHA-1 (git's default)."""
    found = repo.object_format()
    if found != "sha1":
        raise GitError(
            f"{what} uses {found.upper().replace('SHA', 'SHA-')} object ids "
            "(extensions.objectFormat); benchsync works with SHA-1 repositories (git's "
            "default): use a SHA-1 clone"
        )
