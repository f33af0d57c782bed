"""The benchmark repository as seen from the website: objects at one commit, no checkout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_FILE, PYPROJECT, Config
from ..config_files import config_from_texts
from ..errors import ConfigError, GitError, NotARepository, UsageError
from ..git import GitRepo, open_any
from ..git.commit import resolve_commit
from ..git.listing import entries_at
from ..git.objects import read_blob
from ..git.remote import default_branch, fetch
from ..git.repo import redact_urls, scratch_bare

_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:).*", re.IGNORECASE | re.DOTALL)
#: The ref a URL source's commit is fetched into, in a repository made for this run.
FETCHED = "refs/benchsync/source"
#: The largest configuration file of the source read (a pyproject.toml is a few KiB), and
#: the most dots on one of its lines: the benchmark repository's files are not trusted, and
#: Python's TOML parser takes time and memory growing with the square of a key's parts.
MAX_CONFIG_TEXT = 64 * 1024
MAX_DOTS = 64


@dataclass(frozen=True)
class Source:
    """A benchmark repository pinned at one commit."""

    repo: GitRepo
    location: str  # the URL or path as given, without user info (a token never shows)
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
    return bool(_URL.fullmatch(location))


def shown(location: str) -> str:
    """``location`` with any ``user:password@`` of a URL removed: safe to print and store."""
    return redact_urls(location)


@contextmanager
def open_source(location: str, ref: str | None) -> Iterator[Source]:
    """The source for the length of the block: a local path opened where it is, or a URL
    fetched (one commit deep) into a new temporary repository that the block's end removes.

    Nothing fetched is kept between runs, and nothing under the website's ``.git`` is
    read: a repository left there (by a CI cache, say) cannot run a hook, redirect the URL
    or supply an object."""
    if ref is not None and (ref.startswith("-") or not ref.strip()):
        raise UsageError(f"--ref {ref!r} is not a branch, tag or commit")
    for option, value in (("--source", location), ("--ref", ref or "")):
        if not value.isprintable():  # (it goes into the commit message and the PR body)
            raise UsageError(
                f"{option} {value!r} holds a line break or another control character; "
                "pass the path, URL or ref without it"
            )
    if is_url(location):
        safe = shown(location)
        with scratch_bare() as repo:
            wanted = ref or default_branch(repo, location, safe)
            fetch(repo, location, wanted, into=FETCHED, shown=safe)
            yield Source(repo, safe, wanted, resolve_commit(repo, FETCHED, what=f"{safe} ref"))
        return
    source = _local(location, ref)
    try:
        yield source
    finally:
        source.repo.close()


def _local(location: str, ref: str | None) -> Source:
    path = Path(location).expanduser()
    if not path.exists():
        raise UsageError(f"source {location} does not exist; pass a benchmark repo path or URL")
    try:
        repo = open_any(path)
    except NotARepository:
        raise UsageError(
            f"source {location} is not a git repository; pass the benchmark repository (a "
            "checkout, a bare clone or a URL)"
        ) from None
    if not repo.text("for-each-ref", "--count=1", "--format=%(refname)"):
        raise GitError(f"source {location} has no commits yet; there is nothing to sync from")
    chosen = ref or repo.text("symbolic-ref", "--quiet", "--short", "HEAD")
    if not chosen:
        raise GitError(f"{location} has no default branch (detached HEAD); pass --ref")
    return Source(repo, location, chosen, resolve_commit(repo, chosen))


def source_config(source: Source) -> tuple[Config | None, str]:
    """The benchmark repository's own configuration at the source commit (its
    ``.benchsync.toml`` or ``pyproject.toml``), or None and why it cannot be read. Used only
    to name the result files its manifest leaves out: never for a verdict or a write."""
    names = [CONFIG_FILE, PYPROJECT]
    texts: dict[str, str | None] = dict.fromkeys(names)
    try:
        found = entries_at(source.repo, source.commit, names)
        for name, entry in found.items():
            data = read_blob(source.repo, entry.blob, max_size=MAX_CONFIG_TEXT)
            if not entry.is_file or data is None:
                return None, f"{name} is no regular file of at most {MAX_CONFIG_TEXT:,} bytes"
            text = data.decode("utf-8")
            if max(line.count(".") for line in text.splitlines() or [""]) > MAX_DOTS:
                # (a dotted key of thousands of parts costs the parser gigabytes)
                return None, f"{name} has a line with over {MAX_DOTS} dots"
            texts[name] = text
        return config_from_texts(texts[CONFIG_FILE], texts[PYPROJECT]), ""
    except UnicodeDecodeError:
        return None, "a configuration file is not UTF-8"
    except (GitError, ConfigError) as exc:
        return None, exc.message
