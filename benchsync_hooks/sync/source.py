"""The benchmark repository as seen from the website: objects at one commit, no checkout."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .. import gitrepo
from ..errors import GitError, UsageError
from ..gitrepo import GitRepo

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """A benchmark repository pinned at one commit."""

    repo: GitRepo
    location: str  # the URL or path as given
    ref: str
    commit: str

    @property
    def name(self) -> str:
        tail = self.location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return tail[:-4] if tail.endswith(".git") else tail or "source"

    @property
    def short(self) -> str:
        return self.commit[:7]


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


def open_source(location: str, ref: str | None, website: GitRepo) -> Source:
    """Open a local path directly, or fetch a URL into a cache under the website's .git."""
    if is_url(location):
        repo, fetched = _fetch(location, ref, website)
        commit = gitrepo.resolve_commit(repo, "refs/benchsync/source")
        return Source(repo, location, fetched, commit)
    path = Path(location).expanduser()
    if not path.exists():
        raise UsageError(f"source {location} does not exist; pass a benchmark repo path or URL")
    repo = gitrepo.open_any(path)
    _status, refs, _err = repo.run("for-each-ref", "--count=1", "--format=%(refname)")
    if not refs.strip():
        raise GitError(f"source {location} has no commits yet; there is nothing to sync from")
    chosen = ref or _default_ref(repo)
    return Source(repo, location, chosen, gitrepo.resolve_commit(repo, chosen))


def _default_ref(repo: GitRepo) -> str:
    status, out, _err = repo.run("symbolic-ref", "--quiet", "--short", "HEAD")
    if status or not out.strip():
        raise GitError(f"{repo.root} has no default branch (detached HEAD); pass --ref")
    return out.strip()


def _fetch(url: str, ref: str | None, website: GitRepo) -> tuple[GitRepo, str]:
    cache = (
        website.git_dir
        / "benchsync"
        / "sources"
        / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")
    )
    if not (cache / "HEAD").exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        status, _out, err = gitrepo.git_in(cache.parent, "init", "-q", "--bare", cache.name)
        if status:
            raise GitError(f"cannot create the source cache {cache}: {err.strip()}")
    repo = GitRepo(cache, cache)
    wanted = ref
    if wanted is None:
        status, out, err = repo.run("ls-remote", "--symref", url, "HEAD")
        if status:
            raise GitError(f"cannot reach {url}: {_first_line(err)}")
        match = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", out, re.MULTILINE)
        if match is None:
            raise GitError(f"{url} has no default branch; pass --ref")
        wanted = match.group(1)
    status, _out, err = repo.run(
        "fetch", "-q", "--no-tags", "--depth", "1", url, f"+{wanted}:refs/benchsync/source"
    )
    if status:
        if "couldn't find remote ref" in err or "not our ref" in err:
            raise GitError(f"ref {wanted!r} does not exist in {url}; check --ref")
        raise GitError(f"cannot fetch {wanted} from {url}: {_first_line(err)}")
    return repo, wanted


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"
