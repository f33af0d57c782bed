"""Every git call of benchsync lives here: git's own plumbing commands, batched.

One process per job, never one per file: ``ls-files``/``ls-tree`` for listings,
``diff-tree`` for what changed between two commits or trees, ``cat-file --batch``
for blob and tree contents, ``hash-object --stdin-paths`` to store files and the
new trees (built folder by folder), ``commit-tree`` + ``update-ref`` to commit
without touching the user's index. Long calls can run in the background
(:class:`Soon`). (GitPython was measured and left out: importing it costs 47 ms
and reading a 20,000-entry index through it 128 ms, against 14 ms for
``git ls-files -s``.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from .errors import GitError, PushError

SYMLINK_MODE = "120000"
TREE_MODE = "040000"
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


class Change(NamedTuple):
    """One path that differs between two trees (``git diff-tree -r``)."""

    path: str
    mode: str  # the new mode; "000000" when deleted
    blob: str  # the new object id; all zeros when deleted
    status: str  # A(dded), D(eleted), M(odified), T(ype changed)

    @property
    def deleted(self) -> bool:
        return self.status == "D"


class Soon:
    """A git command started now, its result collected later (``git`` works on another CPU
    while this process does something else). Output is drained on a thread so a large
    answer never blocks git on a full pipe."""

    def __init__(self, repo: GitRepo, *args: str, env: dict[str, str] | None = None) -> None:
        import os
        import subprocess
        import threading

        try:
            self._proc = subprocess.Popen(
                ["git", *args],
                cwd=repo.root,
                env=None if env is None else {**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except FileNotFoundError:
            raise GitError("git is not installed; install git") from None
        self._out = b""
        self._err = b""
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        self._out, self._err = self._proc.communicate()

    def result(self) -> tuple[int, bytes]:
        """The exit status and the output, once git is done."""
        self._thread.join()
        return self._proc.returncode, self._out

    @property
    def error(self) -> str:
        """What git said on stderr (after :meth:`result`)."""
        return self._err.decode("utf-8", "replace").strip()

    def cancel(self) -> None:
        self._proc.kill()
        self._thread.join()


def diff_trees_soon(repo: GitRepo, old: str, new: str, prefix: str = "") -> Soon:
    """Start ``git diff-tree`` from tree-ish ``old`` to ``new`` (under ``prefix``);
    :func:`parse_diff` reads the changed paths. Cost grows with the difference, not the
    trees: git skips every subtree whose id is the same on both sides."""
    args = ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new]
    return Soon(repo, *args, *(("--", prefix) if prefix else ()))


def parse_diff(pending: Soon) -> list[Change] | None:
    """The paths a :func:`diff_trees_soon` found, or None when a tree-ish is missing."""
    status, raw = pending.result()
    return None if status else _diff_records(raw.decode("utf-8", "surrogateescape"))


def _diff_records(out: str) -> list[Change] | None:
    """``diff-tree -r -z`` records (``:old new old-id new-id status`` NUL path NUL), or
    None for output of another shape."""
    fields = out.split("\0")
    changes: list[Change] = []
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].split()
        if len(meta) != 5 or not meta[0].startswith(":"):
            return None
        changes.append(Change(fields[i + 1], meta[1], meta[3], meta[4][:1]))
    return changes


def read_blob_soon(repo: GitRepo, blob: str) -> Soon:
    """Start reading one blob (``git cat-file blob``); a non-zero status if it is missing."""
    return Soon(repo, "cat-file", "blob", blob)


#: The empty tree's id, which every repository knows without storing it (by id width).
EMPTY_TREE = {
    40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}


def files_matching(repo: GitRepo, commit: str, pathspecs: list[str]) -> list[Entry]:
    """The files of ``commit`` matching any of ``pathspecs`` (with pathspec magic such
    as ``:(icase,literal)`` or ``:(glob)``, which ``ls-tree`` does not take): a diff of
    the empty tree against the commit, so git prunes every folder no pathspec can
    match and compares the rest in C."""
    if not pathspecs:
        return []
    empty = EMPTY_TREE.get(len(commit), EMPTY_TREE[40])
    args = ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", empty, commit]
    status, out, err = _run(repo, *args, "--", *pathspecs)
    changes = None if status else _diff_records(out)
    if changes is None:
        raise GitError(f"git diff-tree {commit} failed: {err.strip()}")
    return [Entry(c.path, c.mode, c.blob) for c in changes]


def objects_at(repo: GitRepo, commit: str, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(object id, type: ``tree``, ``blob``, ``commit``) at each path of ``commit`` that
    exists, in one ``cat-file --batch-check``."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    lines = _batch(repo, "--batch-check", [f"{commit}:{p}" for p in wanted]).split(b"\n")
    found: dict[str, tuple[str, str]] = {}
    for path, line in zip(wanted, lines, strict=False):
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():  # not "<name> missing"
            found[path] = (parts[0].decode("ascii"), parts[1].decode("ascii"))
    return found


def tree_id(repo: GitRepo, commit: str, path: str) -> str | None:
    """The id of the tree at ``path`` in ``commit``, or None when there is no such tree."""
    oid, kind = objects_at(repo, commit, [path]).get(path, ("", ""))
    return oid if kind == "tree" else None


def entries_at(
    repo: GitRepo, commit: str, paths: Iterable[str], *, sizes: bool = False
) -> dict[str, Entry]:
    """The tree entries of ``commit`` at exactly these file paths (absent ones left out),
    in one ``ls-tree``: a few lookups without listing the whole tree."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    long = ("-l",) if sizes else ()
    status, out, err = _run(
        repo, "--literal-pathspecs", "ls-tree", *long, "-z", "--full-tree", commit, "--", *wanted
    )
    if status:
        raise GitError(f"git ls-tree {commit} failed: {err.strip()}")
    found = {e.path: e for e in _parse_listing(out, tree=True)}
    return {path: found[path] for path in wanted if path in found}


#: One entry of a tree object as stored: (mode, name, raw object id), all bytes.
RawEntry = tuple[bytes, bytes, bytes]


def _read_trees(repo: GitRepo, commit: str, folders: list[str]) -> dict[str, list[RawEntry]]:
    """The entries of each folder of ``commit`` that is a tree (missing folders and
    non-trees left out), read in one ``cat-file --batch``."""
    if not folders:
        return {}
    raw = _batch(repo, "--batch", [f"{commit}:{folder}" for folder in folders])
    result: dict[str, list[RawEntry]] = {}
    pos = 0
    for folder in folders:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        pos = end + 1
        if len(header) != 3 or not header[2].isdigit():
            continue  # "<name> missing" (the name may hold spaces)
        size = int(header[2])
        body = raw[pos : pos + size]
        pos += size + 1
        if header[1] == b"tree":
            width = 20 if len(header[0]) == 40 else 32  # sha1 or sha256 repositories
            result[folder] = _tree_items(body, width)
    return result


def _tree_items(body: bytes, width: int) -> list[RawEntry]:
    """Entries of a raw tree object: ``<mode> <name>\\0<id>`` repeated."""
    import re

    entries: list[RawEntry] = re.findall(rb"([0-7]+) ([^\0]*)\0(.{%d})" % width, body, re.DOTALL)
    return entries


def _batch(repo: GitRepo, mode: str, blobs: list[str]) -> bytes:
    import subprocess

    proc = subprocess.run(
        ["git", "cat-file", mode],
        cwd=repo.root,
        input="".join(b + "\n" for b in blobs).encode("utf-8", "surrogateescape"),
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


def status_soon(repo: GitRepo) -> Soon:
    """Start ``git status`` (untracked files included) in the background.

    On a large website the status (a stat of every tracked file and a scan for
    untracked ones) is the single longest git call of an apply; started first, it
    is ready when the plan is. It takes no optional locks, so it never races the
    index writes that follow.
    """
    args = ("status", "--porcelain=v1", "-z", "--untracked-files=all")
    return Soon(repo, *args, env={"GIT_OPTIONAL_LOCKS": "0"})


def status_of(pending: Soon) -> list[str]:
    """The status lines of a :func:`status_soon` (NUL-safe); waits for git."""
    status, out = pending.result()
    if status:
        raise GitError(f"git status failed: {pending.error}")
    return _status_records(out.decode("utf-8", "surrogateescape"))


def status_lines(repo: GitRepo) -> list[str]:
    """``git status --porcelain`` lines (untracked files included, NUL-safe)."""
    return status_of(status_soon(repo))


def _status_records(out: str) -> list[str]:
    lines: list[str] = []
    skip = False
    for record in out.split("\0"):
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
    """The tree of ``base`` with ``changes`` (path → blob id, mode 100644) applied.

    Only the folders on the way to a changed file are read (one ``cat-file``) and
    written (one ``hash-object``), so the cost grows with those folders, not with
    the whole tree. Tree objects are built here in git's canonical form (entries
    sorted by name, a folder's name compared as if it ended in ``/``) and their ids
    checked against the ids git gives them.
    """
    import hashlib
    import tempfile

    folders: set[str] = {""}
    for path in changes:
        parts = path.split("/")
        folders.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    if any("\n" in folder for folder in folders):  # cat-file reads one name per line
        return _tree_with_index(repo, base, changes)
    old = _read_trees(repo, base, sorted(folders))
    width = len(base)  # 40 hex digits for sha1, 64 for sha256 repositories
    algorithm = "sha1" if width == 40 else "sha256"
    files: dict[str, dict[bytes, bytes]] = {}
    for path, blob in changes.items():
        folder, _, name = path.rpartition("/")
        files.setdefault(folder, {})[name.encode("utf-8", "surrogateescape")] = bytes.fromhex(blob)
    made: dict[str, bytes] = {}
    bodies: list[bytes] = []
    for folder in sorted(folders, key=lambda f: (-f.count("/") - bool(f), f)):
        entries = {name: (mode, oid) for mode, name, oid in old.get(folder, [])}
        prefix = f"{folder}/" if folder else ""
        for file_name, oid in files.get(folder, {}).items():
            if entries.get(file_name, (b"", b""))[0] == b"40000":
                raise GitError(
                    f"{prefix}{file_name.decode()} is a folder in the base ({base[:12]}); "
                    "a result file must go there: move or remove it in the website"
                )
            entries[file_name] = (b"100644", oid)
        for sub, oid in made.items():
            head, _, name = sub.rpartition("/")
            if head == folder and sub != folder:
                key = name.encode("utf-8", "surrogateescape")
                mode = entries.get(key, (b"40000", b""))[0]
                if mode != b"40000":
                    raise GitError(
                        f"{prefix}{name} is a file in the base ({base[:12]}); a folder of "
                        "results must go there: move or remove it in the website"
                    )
                entries[key] = (b"40000", oid)
        ordered = sorted(
            entries.items(), key=lambda e: e[0] + b"/" if e[1][0] == b"40000" else e[0]
        )
        body = b"".join(mode + b" " + name + b"\0" + oid for name, (mode, oid) in ordered)
        made[folder] = hashlib.new(algorithm, b"tree %d\0" % len(body) + body).digest()
        bodies.append(body)
    with tempfile.TemporaryDirectory(prefix="benchsync-trees-", dir=repo.git_dir) as tmp:
        paths = []
        for n, body in enumerate(bodies):
            written_to = Path(tmp) / str(n)
            written_to.write_bytes(body)
            paths.append(str(written_to))
        status, out, err = _run(
            repo,
            "hash-object",
            "-w",
            "-t",
            "tree",
            "--stdin-paths",
            input_text="".join(p + "\n" for p in paths),
        )
    if status:
        raise GitError(f"git hash-object failed: {err.strip()}")
    written = out.split()
    if written != [oid.hex() for oid in made.values()]:  # pragma: no cover - a bug, not input
        raise GitError("git stored the new trees under other ids than computed")
    return made[""].hex()


def _tree_with_index(repo: GitRepo, base: str, changes: dict[str, str]) -> str:
    """:func:`tree_with` through a private index (reads the whole tree)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="benchsync-index-", dir=repo.git_dir) as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        status, _out, err = _run(repo, "read-tree", base, env=env)
        if status:
            raise GitError(f"git read-tree {base} failed: {err.strip()}")
        info = "".join(f"100644 {blob}\t{path}\0" for path, blob in sorted(changes.items()))
        status, _out, err = _run(
            repo, "update-index", "-z", "--index-info", input_text=info, env=env
        )
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
