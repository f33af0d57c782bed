"""Every git call of benchsync lives here: git's own plumbing commands, batched.

One process per job, never one per file: ``ls-files``/``ls-tree`` for listings,
``cat-file --batch`` for blob contents, ``hash-object --stdin-paths`` to store
files, ``update-index --index-info`` + ``write-tree`` + ``commit-tree`` +
``update-ref`` to commit without touching the user's index. (GitPython was
measured and left out: importing it costs 47 ms and reading a 20,000-entry index
through it 128 ms, against 14 ms for ``git ls-files -s``.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from .errors import GitError, PushError

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"


class Entry(NamedTuple):
    """One file of the index or of a tree (a tuple: cheap to make by the ten thousand)."""

    path: str
    mode: str
    blob: str
    size: int = -1  # known for tree listings (ls-tree -l), -1 otherwise

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")


class GitRepo:
    """A repository: its work tree (or bare directory) and its common git directory."""

    def __init__(self, root: Path, git_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir

    def run(
        self, *args: str, input_text: str | None = None, env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """Run one git command in the repository; never raises on a non-zero exit."""
        return git_in(self.root, *args, input_text=input_text, env=env)


def git_in(
    cwd: Path, *args: str, input_text: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    import os
    import subprocess

    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
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
    import os

    dot = start / ".git"
    if "GIT_DIR" not in os.environ and (dot / "HEAD").is_file() and (dot / "objects").is_dir():
        return GitRepo(start.resolve(), dot.resolve())  # the common case, without a process
    status, out, _err = git_in(start, "rev-parse", "--show-toplevel", "--git-common-dir")
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


def _run(
    repo: GitRepo, *args: str, input_text: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    return repo.run(*args, input_text=input_text, env=env)


def _parse_listing(out: str, *, tree: bool) -> Iterator[Entry]:
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if not path:
            continue
        fields = meta.split()
        if tree:
            size = int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else -1
            yield Entry(path, fields[0], fields[2], size)
        elif fields[2] in ("0", "2"):
            yield Entry(path, fields[0], fields[1])


def index_raw(repo: GitRepo, prefix: str) -> str:
    """``git ls-files -s -z`` of ``prefix``: the index listing as git prints it."""
    status, out, err = _run(repo, "ls-files", "-s", "-z", "--", prefix)
    if status:
        raise GitError(f"git ls-files failed: {err.strip()}")
    return out


def parse_index(raw: str) -> dict[str, Entry]:
    return {e.path: e for e in _parse_listing(raw, tree=False)}


def index_entries(repo: GitRepo, prefix: str) -> dict[str, Entry]:
    """Files of the git index under ``prefix`` (tracked and staged)."""
    return parse_index(index_raw(repo, prefix))


def tree_entries(
    repo: GitRepo, commit: str, prefix: str, *, sizes: bool = False
) -> dict[str, Entry]:
    """Files of ``commit``'s tree under ``prefix`` (with blob sizes when asked: slower)."""
    long = ("-l",) if sizes else ()
    status, out, err = _run(repo, "ls-tree", "-r", *long, "-z", "--full-tree", commit, "--", prefix)
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
    """Contents of blobs, streamed from one ``cat-file --batch`` process.

    One blob is in memory at a time (the ids are fed by a thread), so reading
    10,000 results costs the memory of one.
    """
    for blob, data in read_blobs_limited(repo, blobs, max_size=None):
        assert data is not None
        yield blob, data


def read_blobs_limited(
    repo: GitRepo, blobs: Iterable[str], *, max_size: int | None
) -> Iterator[tuple[str, bytes | None]]:
    """Like :func:`read_blobs`, but a blob over ``max_size`` is skipped unread (None):
    its size is in the header, and its bytes are drained in small chunks."""
    import subprocess
    import threading

    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return
    proc = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=repo.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def feed() -> None:
        try:
            for blob in wanted:
                stdin.write(f"{blob}\n".encode("ascii"))
            stdin.close()
        except OSError:
            return

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for blob in wanted:
            header = stdout.readline().split()
            if len(header) != 3:
                raise GitError(f"object {blob} is missing from the repository")
            size = int(header[2])
            if max_size is not None and size > max_size:
                left = size + 1
                while left:
                    left -= len(stdout.read(min(left, 1 << 16))) or left
                yield blob, None
                continue
            data = stdout.read(size)
            stdout.read(1)  # the newline after each object
            yield blob, data
    finally:
        proc.kill()
        proc.wait()
        writer.join(timeout=5)


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


def open_any(path: Path) -> GitRepo:
    """A repository at ``path``: a checkout (any folder inside it) or a bare repository."""
    status, out, _err = git_in(path, "rev-parse", "--is-bare-repository", "--git-common-dir")
    lines = out.splitlines()
    if status or len(lines) < 2:
        raise GitError(f"{path} is not a git repository; pass a benchmark repo path or URL")
    common = Path(lines[1])
    if not common.is_absolute():
        common = (path / common).resolve()
    if lines[0] == "true":
        return GitRepo(path.resolve(), common)
    return open_repo(path)


def current_branch(repo: GitRepo) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    status, out, _err = _run(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    return out.strip() if status == 0 and out.strip() else None


def branch_commit(repo: GitRepo, branch: str) -> str | None:
    status, out, _err = _run(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
    return out.strip() if status == 0 and out.strip() else None


def commit_info(repo: GitRepo, commit: str) -> tuple[str, list[str], str]:
    """(tree id, parent ids, message) of a commit."""
    status, out, err = _run(repo, "cat-file", "commit", commit)
    if status:
        raise GitError(f"cannot read commit {commit}: {err.strip()}")
    header, _, message = out.partition("\n\n")
    tree = ""
    parents: list[str] = []
    for line in header.splitlines():
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
    return tree, parents, message


def status_lines(repo: GitRepo) -> list[str]:
    """``git status --porcelain`` lines (untracked files included, NUL-safe)."""
    status, out, err = _run(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if status:
        raise GitError(f"git status failed: {err.strip()}")
    records = out.split("\0")
    lines: list[str] = []
    skip = False
    for record in records:
        if skip:
            skip = False
            continue
        if not record:
            continue
        lines.append(record)
        if record[:1] in ("R", "C"):
            skip = True  # the rename's source path follows
    return lines


def operation_in_progress(repo: GitRepo) -> str | None:
    """'merge', 'rebase', 'cherry-pick' or 'revert' when one is under way."""
    status, out, _err = _run(repo, "rev-parse", "--git-dir")
    git_dir = Path(out.strip()) if status == 0 else repo.git_dir
    if not git_dir.is_absolute():
        git_dir = repo.root / git_dir
    for marker, name in (
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ):
        if (git_dir / marker).exists():
            return name
    return None


def hash_files(repo: GitRepo, paths: list[Path]) -> list[str]:
    """Write files into the object database as blobs, in one ``hash-object`` process."""
    if not paths:
        return []
    status, out, err = _run(
        repo,
        "hash-object",
        "-w",
        "--no-filters",
        "--stdin-paths",
        input_text="".join(f"{p}\n" for p in paths),
    )
    if status:
        raise GitError(f"git hash-object failed: {err.strip()}")
    return out.split()


def tree_with(repo: GitRepo, base: str, changes: dict[str, str]) -> str:
    """The tree of ``base`` with ``changes`` (path → blob id) applied, via a private index."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="benchsync-index-", dir=repo.git_dir) as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        status, _out, err = _run(repo, "read-tree", base, env=env)
        if status:
            raise GitError(f"git read-tree {base} failed: {err.strip()}")
        info = "".join(f"100644 {blob}\t{path}\n" for path, blob in sorted(changes.items()))
        status, _out, err = _run(repo, "update-index", "--index-info", input_text=info, env=env)
        if status:
            raise GitError(f"git update-index failed: {err.strip()}")
        status, out, err = _run(repo, "write-tree", env=env)
        if status:
            raise GitError(f"git write-tree failed: {err.strip()}")
        return out.strip()


def identity_args(repo: GitRepo) -> list[str]:
    """``-c user.name=… -c user.email=…`` when the repository has no identity (CI)."""
    args: list[str] = []
    for key, fallback in (
        ("user.name", "benchsync"),
        ("user.email", "benchsync@users.noreply.github.com"),
    ):
        status, out, _err = _run(repo, "config", "--get", key)
        if status or not out.strip():
            args += ["-c", f"{key}={fallback}"]
    return args


def commit_tree(repo: GitRepo, tree: str, parent: str, message: str) -> str:
    status, out, err = _run(
        repo, *identity_args(repo), "commit-tree", tree, "-p", parent, "-F", "-", input_text=message
    )
    if status:
        raise GitError(f"git commit-tree failed: {err.strip()}")
    return out.strip()


def update_branch(repo: GitRepo, branch: str, commit: str, old: str | None) -> None:
    """Point ``branch`` at ``commit``, only if it still is at ``old`` (None: absent)."""
    args = ["update-ref", "-m", "benchsync apply", f"refs/heads/{branch}", commit]
    args.append(old if old is not None else "0" * 40)
    status, _out, err = _run(repo, *args)
    if status:
        raise GitError(f"cannot move branch {branch}: {err.strip()}")


def switch_to(repo: GitRepo, branch: str) -> None:
    """Make ``branch`` the checked-out branch and reset the index to it (not the files)."""
    status, _out, err = _run(repo, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
    if status:
        raise GitError(f"cannot check out {branch}: {err.strip()}")
    status, _out, err = _run(repo, "reset", "-q", "--mixed", "HEAD")
    if status:
        raise GitError(f"git reset failed: {err.strip()}")


def switch_adding(repo: GitRepo, branch: str, paths: list[str]) -> None:
    """Check out ``branch`` whose tree is the current index plus ``paths`` (just written):
    move HEAD and add those paths to the index, without rewriting the rest of it."""
    status, _out, err = _run(repo, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
    if status:
        raise GitError(f"cannot check out {branch}: {err.strip()}")
    status, _out, err = _run(
        repo, "update-index", "--add", "-z", "--stdin", input_text="\0".join(paths) + "\0"
    )
    if status:
        raise GitError(f"git update-index failed: {err.strip()}")


def resolve_commit_or_none(repo: GitRepo, ref: str) -> str | None:
    status, out, _err = _run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return out.strip() if status == 0 and out.strip() else None


def remote_branch(repo: GitRepo, remote: str, branch: str) -> str | None:
    """The commit ``branch`` has on ``remote`` now (None when absent)."""
    status, out, err = _run(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    if status:
        raise GitError(f"cannot reach remote {remote!r}: {_last_line(err)}")
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def push(repo: GitRepo, remote: str, branch: str, commit: str, expected: str | None) -> None:
    """Push ``commit`` to ``remote``'s ``branch``, only if the remote is still at ``expected``."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    status, out, err = _run(
        repo, "push", "--porcelain", lease, remote, f"{commit}:refs/heads/{branch}"
    )
    if status == 0:
        return
    text = (out + err).lower()
    auth_words = (
        "authentication",
        "could not read username",
        "permission to",
        "permission denied",
        "error: 403",
    )
    if any(k in text for k in auth_words):
        raise PushError(
            f"push to {remote!r} was refused: authentication failed; the token needs "
            "'contents: write' (GitHub Actions: permissions: contents: write)"
        )
    if "stale info" in text or "fetch first" in text or "non-fast-forward" in text:
        raise PushError(
            f"push of {branch} to {remote!r} was rejected: the remote branch moved since this "
            "run started; run benchsync apply again"
        )
    reason = next((ln for ln in err.splitlines() if ln.startswith("remote:")), _last_line(err))
    raise PushError(
        f"push of {branch} to {remote!r} was rejected ({reason.strip()}); "
        "fix the remote side and run benchsync apply again"
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"
