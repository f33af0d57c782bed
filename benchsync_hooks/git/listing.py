"""Listings of the index and of trees: ids, modes and sizes, as git prints them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, KeysView, Mapping
from typing import NamedTuple

from ..errors import GitError
from .repo import GitRepo, last_line

SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"
FILE_MODES = ("100644", "100755")


class Entry(NamedTuple):
    """One file of the index or of a tree (a tuple: cheap to make by the ten thousand)."""

    path: str
    mode: str
    blob: str
    size: int = -1  # known for tree listings with sizes, -1 otherwise

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE

    @property
    def is_file(self) -> bool:
        return self.mode in FILE_MODES


class Listing(Mapping[str, Entry]):
    """Files of a tree by path, kept as git printed them and made :class:`Entry` values
    only when asked for: a listing of 100,000 files is one dict of two strings each."""

    __slots__ = ("_meta", "unmerged")

    def __init__(self, meta: dict[str, str], *, unmerged: tuple[str, ...] = ()) -> None:
        self._meta = meta  # path → "mode type id [size]"
        self.unmerged = unmerged  # paths of an index in a merge conflict (stages 1-3)

    def __getitem__(self, path: str) -> Entry:
        return _entry(path, self._meta[path])

    def get(self, path: str, default: Entry | None = None) -> Entry | None:  # type: ignore[override]
        meta = self._meta.get(path)
        return default if meta is None else _entry(path, meta)

    def __contains__(self, path: object) -> bool:
        return path in self._meta

    def __iter__(self) -> Iterator[str]:
        return iter(self._meta)

    def __len__(self) -> int:
        return len(self._meta)

    def keys(self) -> KeysView[str]:
        return self._meta.keys()

    def meta(self, path: str) -> str | None:
        """What git says of a path (``mode type id [size]``), None when absent."""
        return self._meta.get(path)

    def fields(self, path: str) -> list[str] | None:
        """``[mode, type, id]`` (and the size when listed) of a path, None when absent."""
        meta = self._meta.get(path)
        return None if meta is None else meta.split()

    def add(self, entry: Entry) -> None:
        """List one more file (one the listing's prefix left out)."""
        size = "" if entry.size < 0 else f" {entry.size}"
        self._meta.setdefault(entry.path, f"{entry.mode} blob {entry.blob}{size}")


def _entry(path: str, meta: str) -> Entry:
    mode, _kind, oid, *size = meta.split()
    return tuple.__new__(Entry, (path, mode, oid, int(size[0]) if size and size[0] != "-" else -1))


def _decode(out: bytes) -> str:
    return out.decode("utf-8", "surrogateescape")


_INDEX_RECORD = re.compile(r"([0-7]{6}) ([0-9a-f]{40,64}) ([0-3])\t([^\0]*)\0")


#: ``ls-files --format`` (git 2.38+): the stage, the path, then what git says of it, each
#: NUL-separated, so that 20,000 index entries become a :class:`Listing` in a few C calls.
_INDEX_FORMAT = "%(stage)%x00%(path)%x00%(objectmode) blob %(objectname)"


def index_listing(repo: GitRepo, prefix: str) -> Listing:
    """Files of the git index under ``prefix`` (tracked and staged), by path; the entries
    of an unfinished merge (stages 1-3) are left out."""
    status, out, err = repo.run("ls-files", "-z", f"--format={_INDEX_FORMAT}", "--", prefix)
    if status == 0:
        fields = _decode(out).split("\0")
        if len(fields) % 3 == 1:  # (the last record's NUL leaves one empty field)
            stages, paths, metas = fields[0:-1:3], fields[1::3], fields[2::3]
            if stages.count("0") == len(stages):
                return Listing(dict(zip(paths, metas, strict=True)))
            unmerged = sorted({p for s, p in zip(stages, paths, strict=True) if s != "0"})
            return Listing(
                {p: m for s, p, m in zip(stages, paths, metas, strict=True) if s == "0"},
                unmerged=tuple(unmerged),
            )
    elif status != 129:  # (129: a git older than 2.38, without ls-files --format)
        raise GitError(f"git ls-files failed: {last_line(err)}")
    return staged_listing(repo, prefix)


def staged_listing(repo: GitRepo, prefix: str) -> Listing:
    """:func:`index_listing` from ``ls-files -s`` (a git older than 2.38)."""
    text = _decode(repo.out("ls-files", "-s", "-z", "--", prefix))
    meta: dict[str, str] = {}
    unmerged: set[str] = set()
    for found in _INDEX_RECORD.finditer(text):  # (one pass: stage 0, and the unmerged)
        mode, oid, stage, path = found.groups()
        if stage == "0":
            meta[path] = f"{mode} blob {oid}"
        else:
            unmerged.add(path)
    return Listing(meta, unmerged=tuple(sorted(unmerged)))


#: One ``ls-tree -z`` record: what git says of the file, then its path.
_TREE_META = re.compile(r"([0-7]{6} [a-z]+ [0-9a-f]{40,64}(?: +(?:[0-9]+|-))?)\t([^\0]*)\0")


#: ``ls-tree --format`` (git 2.36+): each path, then what git says of it, NUL-separated,
#: so that a listing of 100,000 files becomes a dict in two C calls. (Some versions
#: quote an odd path even with ``-z``: such a listing is made again the long way.)
_PATH_THEN_META = "%(path)%x00%(objectmode) %(objecttype) %(objectname)"


def tree_listing(repo: GitRepo, commit: str, prefix: str, *, sizes: bool = False) -> Listing:
    """Files (and gitlinks) of ``commit``'s tree under ``prefix``, by path."""
    shape = _PATH_THEN_META + (" %(objectsize)" if sizes else "")
    args = ("ls-tree", "-r", "-z", "--full-tree", f"--format={shape}", commit, "--", prefix)
    status, out, err = repo.run("--literal-pathspecs", *args)
    if status == 0:
        text = _decode(out)
        if not text.startswith('"') and '\0"' not in text:
            fields = text.split("\0")
            return Listing(dict(zip(fields[0:-1:2], fields[1::2], strict=True)))
    elif status != 129:  # (129: a git older than 2.36, without --format)
        raise GitError(f"git ls-tree {commit} failed: {last_line(err)}")
    return long_listing(repo, commit, prefix, sizes=sizes)


def long_listing(repo: GitRepo, commit: str, prefix: str, *, sizes: bool = False) -> Listing:
    """:func:`tree_listing` from ``ls-tree``'s own layout (a git older than 2.36)."""
    long = ("-l",) if sizes else ()
    status, out, err = repo.run(
        "--literal-pathspecs", "ls-tree", "-r", *long, "-z", "--full-tree", commit, "--", prefix
    )
    if status:
        raise GitError(f"git ls-tree {commit} failed: {last_line(err)}")
    return _long_layout(out)


def _long_layout(out: bytes) -> Listing:
    """``ls-tree -z [-l]`` records: ``mode type id [size]\\tpath``, one pattern in C."""
    return Listing({path: meta for meta, path in _TREE_META.findall(_decode(out))})


def entries_at(repo: GitRepo, commit: str, paths: Iterable[str]) -> dict[str, Entry]:
    """The tree entries of ``commit`` at exactly these paths (absent ones left out), with sizes."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    status, out, err = repo.run(
        "--literal-pathspecs", "ls-tree", "-l", "-z", "--full-tree", commit, "--", *wanted
    )
    if status:
        raise GitError(f"git ls-tree {commit} failed: {last_line(err)}")
    found = _long_layout(out)
    return {path: found[path] for path in wanted if path in found}


def ignored(repo: GitRepo, paths: Iterable[str]) -> dict[str, str]:
    """Which of ``paths`` .gitignore ignores, with the rule that does (``file:line:pattern``)."""
    items = list(paths)
    if not items:
        return {}
    data = "\0".join(items).encode("utf-8", "surrogateescape")
    status, out, err = repo.run("check-ignore", "-v", "-z", "--no-index", "--stdin", data=data)
    if status not in (0, 1):
        raise GitError(f"git check-ignore failed: {last_line(err)}")
    fields = _decode(out).split("\0")
    result: dict[str, str] = {}
    for i in range(0, len(fields) - 3, 4):
        source, line, pattern, path = fields[i : i + 4]
        if source and not pattern.startswith("!"):
            result[path] = f"{source}:{line}:{pattern}"
    return result


def status_lines(repo: GitRepo, *, ignored_too: bool = False) -> list[str]:
    """``git status --porcelain`` records (``XY path``), untracked files included, NUL-safe."""
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none"]
    if ignored_too:
        args.append("--ignored=matching")
    out = repo.out(*args, env={"GIT_OPTIONAL_LOCKS": "0"})
    lines: list[str] = []
    skip = False
    for record in _decode(out).split("\0"):
        if skip:
            skip = False
            continue
        if record:
            lines.append(record)
            skip = record[:1] in ("R", "C")  # the rename's source path follows
    return lines


def files_containing(
    repo: GitRepo, commit: str, paths: list[str], *, needles: Iterable[str]
) -> list[str]:
    """Which of ``paths`` (files or folders) in ``commit`` hold any of ``needles`` in their
    bytes (``git grep -F``: git's own threaded search, no checkout). The needles go in on
    stdin, one per line: a first sync of 100,000 results is no command line too long.
    A needle with a line break or a NUL byte (which ``-f`` refuses) is left out: JSON
    spells those characters with escapes, so a byte search never finds them anyway."""
    wanted = sorted({n for n in needles if n and "\n" not in n and "\0" not in n})
    if not wanted:
        return []
    status, out, err = repo.run(
        "--literal-pathspecs",
        "grep",
        "-F",
        "-l",
        "-z",
        "--no-color",
        "-f",
        "-",
        commit,
        "--",
        *paths,
        data=("\n".join(wanted) + "\n").encode("utf-8", "surrogateescape"),
    )
    if status not in (0, 1):
        raise GitError(f"git grep failed: {last_line(err)}")
    head = f"{commit}:"
    return [name[len(head) :] for name in _decode(out).split("\0") if name.startswith(head)]
