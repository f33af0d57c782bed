"""What the last verified plan of one source found, for the next apply to start from.

A snapshot pins a source commit, its manifest blob (read again from the source
repository to compare the next manifest with) and the website's tree under the
target root, and holds one row per manifest entry:
source, target, source blob, the byte length of the entry's block in the
manifest text, and — for the few rows that have one — the website's differing
blob and an oversize file's size. Everything in it was verified by an apply; the
next apply only looks again at what git says changed since.

It is stored with :mod:`marshal` (two lists of strings, packed bytes and two
small maps: 50,000 rows load in about 10 ms), under ``.git/benchsync/`` — the
same trust as the repository's own hooks — keyed by the package version, the
Python and marshal versions, the configuration and the source; any doubt means
no snapshot.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from dataclasses import dataclass
from pathlib import Path

from .. import __version__

NAME = "plan-v1"
ABSENT = "-"  # the website column's value when the website has no file at the target


@dataclass
class Columns:
    """The rows of a snapshot, in manifest order: what every row has is a column (packed
    where it can be), what few rows have is a sparse map by row."""

    sources: list[str]
    targets: list[str]
    blobs: bytearray  # each row's source blob id, raw, ``width`` bytes each
    lengths: array[int]  # each row's block length in the manifest text
    website: dict[int, str]  # rows whose website file is not their blob: its id, or ABSENT
    oversize: dict[int, int]  # rows over max_file_size: their size
    width: int = 20  # bytes of an object id: 20 (sha1) or 32 (sha256)

    def __len__(self) -> int:
        return len(self.sources)

    def blob(self, row: int) -> str:
        return self.blobs[row * self.width : (row + 1) * self.width].hex()

    def set_blob(self, row: int, blob: str) -> None:
        self.blobs[row * self.width : (row + 1) * self.width] = bytes.fromhex(blob)

    def website_of(self, row: int) -> str:
        """The website's blob at the row's target (ABSENT when there is no file)."""
        there = self.website.get(row)
        return self.blob(row) if there is None else there

    def set_website(self, row: int, there: str) -> None:
        if there == self.blob(row):
            self.website.pop(row, None)
        else:
            self.website[row] = there

    def on_website(self) -> int:
        """How many rows have a file at their target on the website."""
        return len(self) - sum(1 for there in self.website.values() if there == ABSENT)

    @classmethod
    def empty(cls, width: int) -> Columns:
        return cls([], [], bytearray(), array("I"), {}, {}, width)


@dataclass
class Snapshot:
    source_commit: str
    manifest_blob: str
    website_tree: str
    website_count: int  # entries of the website's tree under the target root
    rows: Columns


def key_for(fingerprint: str, source_identity: str, manifest: str) -> str:
    text = "\x1f".join((__version__, fingerprint, source_identity, manifest))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def path_for(state_dir: Path, source_identity: str) -> Path:
    digest = hashlib.sha256(source_identity.encode("utf-8", "surrogateescape")).hexdigest()
    return state_dir / f"{NAME}-{digest[:16]}.txt"


def manifest_of(path: Path, key: str) -> str | None:
    """The manifest blob id of the snapshot at ``path`` (its first line only): the caller
    can start reading that blob while the rows load."""
    try:
        with path.open("rb") as handle:
            fields = handle.readline().rstrip(b"\n").split(b" ")
    except OSError:
        return None
    if len(fields) < 3 or b" ".join(fields[:-2]) != _header(key):
        return None
    return fields[-2].decode("ascii", "replace")


def load(path: Path, key: str) -> Snapshot | None:
    """The snapshot at ``path`` if it was written under ``key`` and is whole."""
    import marshal

    try:
        with path.open("rb") as handle:
            fields = handle.readline().rstrip(b"\n").split(b" ")
            if len(fields) < 3 or b" ".join(fields[:-2]) != _header(key):
                return None
            if not fields[-1].isdigit():
                return None
            payload = handle.read()
    except OSError:
        return None
    if len(payload) != int(fields[-1]):
        return None
    try:
        value = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    try:
        found = _snapshot(value)
    except (ValueError, TypeError):
        return None
    if found is None or found.manifest_blob != fields[-2].decode("ascii", "replace"):
        return None
    return found


def _snapshot(value: object) -> Snapshot | None:
    if not (isinstance(value, tuple) and len(value) == 11):
        return None
    commit, blob, tree, count, sources, targets, ids, sizes, there, big, width = value
    if not all(isinstance(v, str) for v in (commit, blob, tree)):
        return None
    if not (isinstance(count, int) and width in (20, 32)):
        return None
    if not all(isinstance(v, bytes) for v in (ids, sizes)):
        return None
    if not all(isinstance(v, list) for v in (sources, targets)):
        return None
    if not all(isinstance(v, dict) for v in (there, big)):
        return None
    lengths = array("I")
    lengths.frombytes(sizes)
    total = len(sources)
    if len(targets) != total or len(lengths) != total or len(ids) != total * width:
        return None
    if any(not (isinstance(k, int) and 0 <= k < total) for k in (*there, *big)):
        return None
    rows = Columns(sources, targets, bytearray(ids), lengths, there, big, width)
    return Snapshot(commit, blob, tree, count, rows)


def _header(key: str) -> bytes:
    import marshal
    import sys

    return f"{NAME} {key} {sys.version_info[:3]} {marshal.version}".encode()


def save(path: Path, key: str, snapshot: Snapshot) -> None:
    """Write ``snapshot`` atomically; a failure to save is never an error (it is a cache)."""
    import marshal

    rows = snapshot.rows
    value = (
        snapshot.source_commit,
        snapshot.manifest_blob,
        snapshot.website_tree,
        snapshot.website_count,
        rows.sources,
        rows.targets,
        bytes(rows.blobs),
        rows.lengths.tobytes(),
        rows.website,
        rows.oversize,
        rows.width,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        payload = marshal.dumps(value)
        head = b" ".join((_header(key), snapshot.manifest_blob.encode(), b"%d" % len(payload)))
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            handle.write(head + b"\n")
            handle.write(payload)
        tmp.replace(path)
    except (OSError, ValueError):
        tmp.unlink(missing_ok=True)
