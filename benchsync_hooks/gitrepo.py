"""Every git call of benchsync lives here, through GitPython.

Batched where it matters: one ``ls-files``/``ls-tree`` for a listing and the
persistent ``cat-file --batch`` process of GitPython's object database for blobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GitError

if TYPE_CHECKING:
    from git import Repo

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"


@dataclass(frozen=True)
class Entry:
    """One file of the index or of a tree."""

    path: str
    mode: str
    blob: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")


def open_repo(start: Path) -> Repo:
    """The repository that holds ``start``; a :class:`GitError` if there is none."""
    try:
        import git
    except ImportError as exc:  # pragma: no cover - git executable missing
        raise GitError(f"git is not available: {exc}; install git") from None
    try:
        return git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(
            f"{start} is not inside a git repository; run benchsync in the repository "
            "(or 'git init' first)"
        ) from None


def work_tree(repo: Repo) -> Path:
    if repo.working_tree_dir is None:
        raise GitError(f"{repo.git_dir} is a bare repository; run in a checkout")
    return Path(repo.working_tree_dir)


def git_dir(repo: Repo) -> Path:
    return Path(repo.common_dir)


def _run(repo: Repo, *args: str, input_text: str | None = None) -> tuple[int, str, str]:
    """Run one git command through GitPython; never raises on a non-zero exit."""
    import tempfile

    import git

    stdin = None
    if input_text is not None:
        stdin = tempfile.TemporaryFile()
        stdin.write(input_text.encode("utf-8"))
        stdin.seek(0)
    try:
        result = repo.git.execute(
            ["git", *args],
            with_extended_output=True,
            with_exceptions=False,
            istream=stdin,
            strip_newline_in_stdout=False,
        )
    except git.GitCommandNotFound as exc:  # pragma: no cover
        raise GitError(f"git is not available: {exc}") from None
    finally:
        if stdin is not None:
            stdin.close()
    status, out, err = result
    return int(status), str(out), str(err)


def _parse_listing(out: str, *, tree: bool) -> Iterator[Entry]:
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if tree:
            mode, _kind, blob = fields[:3]
        else:
            mode, blob, stage = fields[:3]
            if stage not in ("0", "2"):
                continue
        yield Entry(path, mode, blob)


def index_entries(repo: Repo, prefix: str) -> dict[str, Entry]:
    """Files of the git index under ``prefix`` (tracked and staged)."""
    status, out, err = _run(repo, "ls-files", "-s", "-z", "--", prefix)
    if status:
        raise GitError(f"git ls-files failed: {err.strip()}")
    return {e.path: e for e in _parse_listing(out, tree=False)}


def tree_entries(repo: Repo, commit: str, prefix: str) -> dict[str, Entry]:
    """Files of ``commit``'s tree under ``prefix``."""
    status, out, err = _run(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix)
    if status:
        raise GitError(f"git ls-tree {commit} failed: {err.strip()}")
    return {e.path: e for e in _parse_listing(out, tree=True)}


def read_blobs(repo: Repo, blobs: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """Contents of blobs, through one persistent ``cat-file --batch`` process."""
    for blob in blobs:
        stream = repo.odb.stream(bytes.fromhex(blob))
        yield blob, stream.read()


def blob_size(repo: Repo, blob: str) -> int:
    info = repo.odb.info(bytes.fromhex(blob))
    return int(info.size)


def ignored(repo: Repo, paths: Iterable[str]) -> dict[str, str]:
    """Which of ``paths`` .gitignore ignores, with the rule that does (``file:line:pattern``)."""
    items = list(paths)
    if not items:
        return {}
    status, out, err = _run(
        repo, "check-ignore", "-v", "-z", "--no-index", "--stdin", input_text="\0".join(items)
    )
    if status not in (0, 1):
        raise GitError(f"git check-ignore failed: {err.strip()}")
    fields = out.split("\0")
    result: dict[str, str] = {}
    for i in range(0, len(fields) - 3, 4):
        source, line, pattern, path = fields[i : i + 4]
        if source and not pattern.startswith("!"):
            result[path] = f"{source}:{line}:{pattern}"
    return result


def resolve_commit(repo: Repo, ref: str) -> str:
    status, out, _err = _run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if status or not out.strip():
        raise GitError(f"ref {ref!r} does not exist in {work_tree_or_dir(repo)}; check --ref")
    return out.strip()


def work_tree_or_dir(repo: Repo) -> str:
    return str(repo.working_tree_dir or repo.git_dir)
