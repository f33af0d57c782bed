"""Every git call of benchsync lives here.

Batched where it matters: one ``ls-files``/``ls-tree`` process for a listing and
the persistent ``cat-file --batch`` process of GitPython's object database for
blobs; GitPython is imported only when objects are read or written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import GitError

if TYPE_CHECKING:
    from git import Repo

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"


class Entry(NamedTuple):
    """One file of the index or of a tree (a tuple: cheap to make by the ten thousand)."""

    path: str
    mode: str
    blob: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")


class GitRepo:
    """A repository: plain ``git`` processes for listings, GitPython for objects.

    Listing commands are single subprocesses whose output is parsed here; the
    GitPython ``Repo`` (and its persistent ``cat-file --batch``) is created only
    when blob contents or write operations are needed, so a hook that finds
    everything in its cache never pays for importing it.
    """

    def __init__(self, root: Path, git_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir
        self._repo: Repo | None = None

    @property
    def gp(self) -> Repo:
        if self._repo is None:
            import git

            self._repo = git.Repo(self.root)
        return self._repo

    def run(self, *args: str, input_text: str | None = None) -> tuple[int, str, str]:
        """Run one git command in the repository; never raises on a non-zero exit."""
        return _git(self.root, *args, input_text=input_text)


def _git(cwd: Path, *args: str, input_text: str | None = None) -> tuple[int, str, str]:
    import subprocess

    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=None if input_text is None else input_text.encode("utf-8"),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed; install git") from None
    except NotADirectoryError:
        raise GitError(f"{cwd} is not a directory") from None
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "surrogateescape"),
        proc.stderr.decode("utf-8", "replace"),
    )


def open_repo(start: Path) -> GitRepo:
    """The repository that holds ``start``; a :class:`GitError` if there is none."""
    status, out, _err = _git(start, "rev-parse", "--show-toplevel", "--git-common-dir")
    lines = out.splitlines()
    if status or len(lines) < 2:
        if status == 0:
            raise GitError(f"{start} is a bare repository; run benchsync in a checkout")
        raise GitError(
            f"{start} is not inside a git repository; run benchsync in the repository "
            "(or 'git init' first)"
        )
    root = Path(lines[0])
    common = Path(lines[1])
    if not common.is_absolute():
        common = (start / common).resolve()
    return GitRepo(root, common)


def git_dir(repo: GitRepo) -> Path:
    return repo.git_dir


def _run(repo: GitRepo, *args: str, input_text: str | None = None) -> tuple[int, str, str]:
    return repo.run(*args, input_text=input_text)


def _parse_listing(out: str, *, tree: bool) -> Iterator[Entry]:
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if not path:
            continue
        fields = meta.split(" ")
        if tree:
            yield Entry(path, fields[0], fields[2])
        elif fields[2] in ("0", "2"):
            yield Entry(path, fields[0], fields[1])


def index_entries(repo: GitRepo, prefix: str) -> dict[str, Entry]:
    """Files of the git index under ``prefix`` (tracked and staged)."""
    status, out, err = _run(repo, "ls-files", "-s", "-z", "--", prefix)
    if status:
        raise GitError(f"git ls-files failed: {err.strip()}")
    return {e.path: e for e in _parse_listing(out, tree=False)}


def tree_entries(repo: GitRepo, commit: str, prefix: str) -> dict[str, Entry]:
    """Files of ``commit``'s tree under ``prefix``."""
    status, out, err = _run(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix)
    if status:
        raise GitError(f"git ls-tree {commit} failed: {err.strip()}")
    return {e.path: e for e in _parse_listing(out, tree=True)}


def _batch(repo: GitRepo, mode: str, blobs: list[str]) -> bytes:
    import subprocess

    proc = subprocess.run(
        ["git", "cat-file", mode],
        cwd=repo.root,
        input="".join(b + "\n" for b in blobs).encode("ascii"),
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        raise GitError(f"git cat-file failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def blob_sizes(repo: GitRepo, blobs: Iterable[str]) -> dict[str, int]:
    """Sizes of objects (-1 for a missing one), in one ``cat-file --batch-check``."""
    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return {}
    sizes: dict[str, int] = {}
    lines = _batch(repo, "--batch-check", wanted).decode().splitlines()
    for blob, line in zip(wanted, lines, strict=False):
        parts = line.split()
        sizes[blob] = int(parts[2]) if len(parts) == 3 and parts[1] == "blob" else -1
    return sizes


def read_blobs(repo: GitRepo, blobs: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """Contents of blobs, all in one ``cat-file --batch`` process."""
    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return
    out = _batch(repo, "--batch", wanted)
    pos = 0
    for blob in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        if len(header) != 3:
            raise GitError(f"object {blob} is missing from the repository")
        size = int(header[2])
        start = end + 1
        yield blob, out[start : start + size]
        pos = start + size + 1


def blob_size(repo: GitRepo, blob: str) -> int:
    return blob_sizes(repo, [blob]).get(blob, -1)


def ignored(repo: GitRepo, paths: Iterable[str]) -> dict[str, str]:
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


def resolve_commit(repo: GitRepo, ref: str) -> str:
    status, out, _err = _run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if status or not out.strip():
        raise GitError(f"ref {ref!r} does not exist in {repo.root}; check --ref")
    return out.strip()
