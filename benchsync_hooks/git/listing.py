"""Listings of the index and of trees: ids, modes and sizes, as git prints them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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


def _decode(out: bytes) -> str:
    return out.decode("utf-8", "surrogateescape")


_INDEX_RECORD = re.compile(r"([0-7]{6}) ([0-9a-f]{40,64}) ([0-3])\t([^\0]*)\0")
_TREE_RECORD = re.compile(r"([0-7]{6}) [a-z]+ ([0-9a-f]{40,64})(?: +([0-9]+|-))?\t([^\0]*)\0")


def _index_records(out: str) -> Iterator[Entry]:
    """``ls-files -s -z`` records: ``mode id stage\\tpath``; merge stages 1-3 are skipped.
    One regex pass in C; tuples made with ``tuple.__new__`` (a NamedTuple's own
    ``__new__`` takes keywords and is three times slower)."""
    make = tuple.__new__
    for found in _INDEX_RECORD.finditer(out):  # one record at a time: no list of them all
        mode, oid, stage, path = found.groups()
        if stage == "0":
            yield make(Entry, (path, mode, oid, -1))


def _tree_records(out: str) -> Iterator[Entry]:
    """``ls-tree -z [-l]`` records: ``mode type id [size]\\tpath`` (as above)."""
    make = tuple.__new__
    for found in _TREE_RECORD.finditer(out):
        mode, oid, size, path = found.groups()
        yield make(Entry, (path, mode, oid, int(size) if size and size != "-" else -1))


def index_listing(repo: GitRepo, prefix: str) -> dict[str, Entry]:
    """Files of the git index under ``prefix`` (tracked and staged), by path."""
    out = repo.out("ls-files", "-s", "-z", "--", prefix)
    return {e.path: e for e in _index_records(_decode(out))}


def tree_listing(
    repo: GitRepo, commit: str, prefix: str, *, sizes: bool = False
) -> dict[str, Entry]:
    """Files (and gitlinks) of ``commit``'s tree under ``prefix``, by path."""
    long = ("-l",) if sizes else ()
    status, out, err = repo.run(
        "--literal-pathspecs", "ls-tree", "-r", *long, "-z", "--full-tree", commit, "--", prefix
    )
    if status:
        raise GitError(f"git ls-tree {commit} failed: {last_line(err)}")
    return {e.path: e for e in _tree_records(_decode(out))}


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
    found = {e.path: e for e in _tree_records(_decode(out))}
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
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all"]
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
    bytes (``git grep -F``: git's own threaded search, no checkout)."""
    wanted = sorted(set(needles))
    if not wanted:
        return []
    patterns = [arg for needle in wanted for arg in ("-e", needle)]
    status, out, err = repo.run(
        "--literal-pathspecs",
        "grep",
        "-F",
        "-l",
        "-z",
        "--no-color",
        *patterns,
        commit,
        "--",
        *paths,
    )
    if status not in (0, 1):
        raise GitError(f"git grep failed: {last_line(err)}")
    head = f"{commit}:"
    return [name[len(head) :] for name in _decode(out).split("\0") if name.startswith(head)]
