"""What the last verified plan of one source found, for the next apply to start from.

A snapshot pins a source commit, its manifest blob and the website's tree under
the target root, and holds one row per manifest entry: source, target, source
blob, website blob (``-`` when the website has no such file), size and the byte
length of the entry's block in the manifest text. Everything in it was verified
by an apply; the next apply only looks again at what git says changed since.

It is stored by columns with :mod:`marshal` (50,000 rows load in about 15 ms,
three times faster than parsing text), under ``.git/benchsync/`` — the same trust
as the repository's own hooks — keyed by the package version, the Python and
marshal versions, the configuration and the source; any doubt means no snapshot.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .. import __version__

NAME = "plan-v1"
ABSENT = "-"  # the website column's value when the website has no file at the target


@dataclass
class Columns:
    """The rows of a snapshot, column by column, in manifest order."""

    sources: list[str]
    targets: list[str]
    blobs: list[str]
    website: list[str]  # ABSENT when the website has no file at the target
    sizes: list[int]
    lengths: list[int]

    def __len__(self) -> int:
        return len(self.sources)


@dataclass
class Snapshot:
    source_commit: str
    manifest_blob: str
    website_tree: str
    website_count: int  # entries of the website's tree under the target root
    rows: Columns
    manifest: bytes  # the manifest's text (its blob), kept to compare the next one with


def key_for(fingerprint: str, source_identity: str, manifest: str) -> str:
    text = "\x1f".join((__version__, fingerprint, source_identity, manifest))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def path_for(state_dir: Path, source_identity: str) -> Path:
    digest = hashlib.sha256(source_identity.encode("utf-8", "surrogateescape")).hexdigest()
    return state_dir / f"{NAME}-{digest[:16]}.txt"


def load(path: Path, key: str) -> Snapshot | None:
    """The snapshot at ``path`` if it was written under ``key`` and is whole."""
    import marshal

    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, payload = raw.partition(b"\n")
    if header != _header(key):
        return None
    try:
        value = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(value, tuple) and len(value) == 11):
        return None
    commit, manifest_blob, tree, count, manifest, *columns = value
    if not isinstance(manifest, bytes):
        return None
    if not all(isinstance(v, str) for v in (commit, manifest_blob, tree)):
        return None
    if not isinstance(count, int) or not all(isinstance(c, list) for c in columns):
        return None
    if len({len(c) for c in columns}) != 1:
        return None
    return Snapshot(commit, manifest_blob, tree, count, Columns(*columns), manifest)


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
        snapshot.manifest,
        rows.sources,
        rows.targets,
        rows.blobs,
        rows.website,
        rows.sizes,
        rows.lengths,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_header(key) + b"\n" + marshal.dumps(value))
        tmp.replace(path)
    except (OSError, ValueError):
        tmp.unlink(missing_ok=True)


def forget(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        return
