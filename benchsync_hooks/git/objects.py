"""Object contents through GitPython's persistent ``cat-file``; new objects through its
object database."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable, Iterator

from ..errors import GitError, IntegrityError
from .repo import GitRepo

_CHUNK = 1 << 16
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


#: From this many blobs on, they are read by two ``cat-file`` runs (sizes, then contents,
#: each given every id at once) instead of one round trip each to the persistent one:
#: 10,000 results in 0.3–0.8 s instead of 1.7–2.2 s. A run holds at most _BATCH_BYTES.
BATCH_FROM = 100
_BATCH_BYTES = 32 << 20


def read_blobs(
    repo: GitRepo, blobs: Iterable[str], *, max_size: int | None = None
) -> Iterator[tuple[str, bytes | None]]:
    """(id, bytes) of each blob (each once, in order), from git's ``cat-file --batch``.

    A blob over ``max_size`` is skipped unread (None): its size is in the header and
    its bytes are drained in small chunks, or never asked for. A missing object, or one
    that is no blob, is a :class:`GitError`.
    """
    wanted = list(dict.fromkeys(blobs))
    if any(not _OBJECT_ID.fullmatch(blob) for blob in wanted):  # (one id per line)
        raise GitError(f"not an object id among the blobs to read from {repo.root}")
    if len(wanted) >= BATCH_FROM:
        yield from _batched(repo, wanted, max_size=max_size)
        return
    git = repo.handle.git
    for blob in wanted:
        try:
            _sha, kind, size, stream = git.stream_object_data(blob)
        except ValueError:
            raise GitError(f"object {blob} is missing from {repo.root}") from None
        wrong = _text(kind) != "blob"
        if wrong or (max_size is not None and size > max_size):
            while stream.read(min(_CHUNK, size)):  # (drained: the process reads on after it)
                pass
            if wrong:  # (as the batched read says it)
                raise GitError(f"object {blob} is a {_text(kind)}, not a file, in {repo.root}")
            yield blob, None
            continue
        yield blob, stream.read()


def _batched(
    repo: GitRepo, wanted: list[str], *, max_size: int | None
) -> Iterator[tuple[str, bytes | None]]:
    """:func:`read_blobs` for many: every size from one ``--batch-check`` run, then the
    contents of those within ``max_size`` from ``--batch`` runs of at most _BATCH_BYTES."""
    ids = "\n".join(wanted).encode("ascii") + b"\n"
    sizes = {}
    for line in repo.out("cat-file", "--batch-check", data=ids).decode("ascii").splitlines():
        blob, kind, *rest = line.split(" ")
        if kind != "blob":
            what = "missing from" if kind == "missing" else f"a {kind}, not a file, in"
            raise GitError(f"object {blob} is {what} {repo.root}")
        sizes[blob] = int(rest[0])
    chunk: list[str] = []  # (read by one run: at most _BATCH_BYTES, the order kept)
    held = 0
    for blob in wanted:
        size = sizes[blob]
        too_big = max_size is not None and size > max_size
        if chunk and (too_big or held + size > _BATCH_BYTES):
            yield from _contents(repo, chunk, sizes)
            chunk, held = [], 0
        if too_big:
            yield blob, None
        else:
            chunk.append(blob)
            held += size
    yield from _contents(repo, chunk, sizes)


def _contents(
    repo: GitRepo, chunk: list[str], sizes: dict[str, int]
) -> Iterator[tuple[str, bytes]]:
    """The bytes of ``chunk``'s blobs from one ``cat-file --batch`` run."""
    if not chunk:
        return
    out = repo.out("cat-file", "--batch", data="\n".join(chunk).encode("ascii") + b"\n")
    at = 0
    for blob in chunk:
        size = sizes[blob]
        start = out.index(b"\n", at) + 1  # after "<id> blob <size>"
        if out[at:start] != f"{blob} blob {size}\n".encode("ascii"):
            raise GitError(f"git cat-file gave another object than {blob} in {repo.root}")
        yield blob, out[start : start + size]
        at = start + size + 1


def read_blob(repo: GitRepo, blob: str, *, max_size: int | None = None) -> bytes | None:
    """One blob's bytes (None when over ``max_size``)."""
    return next(read_blobs(repo, [blob], max_size=max_size))[1]


def object_info(repo: GitRepo, name: str) -> tuple[str, str, int] | None:
    """(id, type, size) of an object name such as ``commit:path``; None when missing."""
    if "\n" in name:  # cat-file reads one name per line
        raise GitError(f"cannot look up a name with a line break: {name!r}")
    try:
        sha, kind, size = repo.handle.git.get_object_header(name)
    except ValueError:
        return None
    return _text(sha), _text(kind), int(size)


def _text(value: str | bytes) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else value


def store(repo: GitRepo, kind: str, data: bytes) -> str:
    """Write an object into the repository's database; its id.

    gitdb's own loose-object writer (GitPython's object database, in this process:
    compressed and hashed as it is written, then renamed into place), not one
    ``git hash-object`` process per object as ``GitCmdObjectDB.store`` would start.
    As git does, an object already there is left alone (only its time is freshened: its
    file may be another user's, in a shared repository), and a new folder of objects
    gets the objects folder's mode (``core.sharedRepository``: writable by the group).
    """
    from gitdb.base import IStream
    from gitdb.db.loose import LooseObjectDB

    odb = repo.handle.odb
    oid = hashlib.sha1(b"%s %d\0" % (kind.encode(), len(data)) + data).hexdigest()
    path = odb.db_path(odb.object_path(oid))
    try:
        if os.path.isfile(path):
            with contextlib.suppress(OSError):
                os.utime(path)  # (kept from a prune, as git's own write would)
            return oid
        _fan_out(odb.db_path(""), oid[:2])
        stored = LooseObjectDB.store(odb, IStream(kind.encode(), len(data), io.BytesIO(data)))
    except OSError as exc:
        raise GitError(f"cannot store an object in {repo.git_dir}: {exc.strerror or exc}") from None
    return bytes(stored.binsha).hex()


def _fan_out(objects: str, name: str) -> None:
    """Make the folder ``objects/<name>`` with the mode of ``objects`` (git's own shared
    modes: a group-writable, set-group-id folder where the repository is shared)."""
    folder = os.path.join(objects, name)
    if os.path.isdir(folder):
        return
    mode = stat.S_IMODE(os.stat(objects).st_mode)
    try:
        os.mkdir(folder)
    except FileExistsError:
        return
    os.chmod(folder, mode)


#: One entry of a tree object as stored: (mode, name, raw object id), all bytes.
RawEntry = tuple[bytes, bytes, bytes]


def _tree_items(body: bytes) -> list[RawEntry]:
    entries: list[RawEntry] = re.findall(rb"([0-7]+) ([^\0]*)\0(.{20})", body, re.DOTALL)
    return entries


def _read_tree(repo: GitRepo, name: str) -> list[RawEntry]:
    """The entries of the tree called ``name`` (``commit:folder``); [] when it is none."""
    info = object_info(repo, name)
    if info is None or info[1] != "tree":
        return []
    _sha, _kind, _size, data = repo.handle.git.get_object_data(name)
    return _tree_items(data)


def tree_with(repo: GitRepo, base: str, changes: dict[str, str]) -> str:
    """The tree of commit ``base`` with ``changes`` (path → blob id, mode 100644) applied.

    Only the folders on the way to a changed file are read and written, so the cost
    grows with those folders, not with the whole tree. Tree objects are built in git's
    canonical form (entries sorted by name, a folder compared as if it ended in ``/``).
    A path with an empty, ``.``, ``..`` or ``.git`` part (any case) is refused.
    """
    folders: set[str] = {""}
    for path in changes:
        parts = path.split("/")
        bad = next((p for p in parts if p in ("", ".", "..") or p.lower() == ".git"), None)
        if bad is not None:
            raise IntegrityError(
                f"refusing to write {path!r} into a tree: {bad!r} is no name a file of "
                "the website can have"
                if bad
                else f"refusing to write {path!r} into a tree: it has an empty folder name"
            )
        folders.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    files: dict[str, dict[bytes, bytes]] = {}
    for path, blob in changes.items():
        folder, _, name = path.rpartition("/")
        files.setdefault(folder, {})[name.encode("utf-8", "surrogateescape")] = bytes.fromhex(blob)
    made: dict[str, bytes] = {}
    for folder in sorted(folders, key=lambda f: (-f.count("/") - bool(f), f)):
        entries = {name: (mode, oid) for mode, name, oid in _read_tree(repo, f"{base}:{folder}")}
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
                if entries.get(key, (b"40000", b""))[0] != b"40000":
                    raise GitError(
                        f"{prefix}{name} is a file in the base ({base[:12]}); a folder of "
                        "results must go there: move or remove it in the website"
                    )
                entries[key] = (b"40000", oid)
        ordered = sorted(
            entries.items(), key=lambda e: e[0] + b"/" if e[1][0] == b"40000" else e[0]
        )
        body = b"".join(mode + b" " + name + b"\0" + oid for name, (mode, oid) in ordered)
        made[folder] = bytes.fromhex(store(repo, "tree", body))
        expected = hashlib.sha1(b"tree %d\0" % len(body) + body).digest()
        if made[folder] != expected:  # pragma: no cover - a bug, not input
            raise GitError("git stored a tree under another id than computed")
    return made[""].hex()
