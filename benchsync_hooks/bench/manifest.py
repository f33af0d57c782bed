"""The sync manifest: its entries, its deterministic text (v2), and reading v1 and v2.

The text is built here with the C string encoder only (json's indenting encoder is
pure Python) and is byte for byte what ``json.dumps(doc, indent=2)`` gives.
Reading a manifest is :mod:`.reading`'s job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from json.encoder import encode_basestring
from typing import NamedTuple

from ..config import Config

FORMAT = "benchsync-manifest/v2"
FORMATS = {"benchsync-manifest/v1": "manifest-v1.json", FORMAT: "manifest-v2.json"}
#: The most entries a manifest may hold (documented; a larger one is refused before parsing).
MAX_ENTRIES = 200_000
#: The largest manifest read: MAX_ENTRIES entries of 2 KiB (a real entry is ~560 bytes).
MAX_MANIFEST_BYTES = MAX_ENTRIES * 2_048
#: Bump when a rule changes what passes: the manifest's ``rules`` digest changes with it.
RULES_REVISION = "3"


class ManifestFile(NamedTuple):
    """One claim of the manifest: this source, with these bytes, goes to that target."""

    source: str
    target: str
    sha256: str
    size: int
    blob: str | None  # None in a v1 manifest
    config_blob: str | None
    target_blob: str | None  # the blob id of the canonical form the website receives
    entry_id: str
    backend: str
    model: str
    run_id: str


class Manifest(NamedTuple):
    format: str
    source_root: str
    target_root: str
    rules: str
    files: tuple[ManifestFile, ...]


def rules_digest(config: Config, schema_text: str) -> str:
    """What the verdicts of a manifest depend on: the configuration, the schema's bytes
    and the rules' revision (16 hex digits)."""
    material = "\x1f".join((RULES_REVISION, config.fingerprint(), schema_text))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def block(f: ManifestFile) -> str:
    """One file's entry, indented as inside the manifest's ``files`` array."""
    enc = encode_basestring
    config_blob = "null" if f.config_blob is None else enc(f.config_blob)
    return (
        "    {\n"
        f'      "source": {enc(f.source)},\n'
        f'      "target": {enc(f.target)},\n'
        f'      "sha256": {enc(f.sha256)},\n'
        f'      "size": {int(f.size)},\n'
        f'      "blob": {enc(f.blob or "")},\n'
        f'      "config_blob": {config_blob},\n'
        f'      "target_blob": {enc(f.target_blob or "")},\n'
        f'      "entry_id": {enc(f.entry_id)},\n'
        f'      "backend": {enc(f.backend)},\n'
        f'      "model": {enc(f.model)},\n'
        f'      "run_id": {enc(f.run_id)}\n'
        "    }"
    )


def head(*, config: Config, rules: str) -> str:
    """The manifest's text before its ``files``."""
    enc = encode_basestring
    return (
        "{\n"
        f'  "format": {enc(FORMAT)},\n'
        f'  "source_root": {enc(config.source_root)},\n'
        f'  "target_root": {enc(config.target_root)},\n'
        f'  "rules": {enc(rules)},\n'
    )


def render(files: Iterable[ManifestFile], *, config: Config, rules: str) -> str:
    """The manifest's text: sorted by source, two-space indent, trailing newline."""
    return render_blocks(((f.source, block(f)) for f in files), config=config, rules=rules)


def render_blocks(blocks: Iterable[tuple[str, str]], *, config: Config, rules: str) -> str:
    """The manifest's text from (source, entry block) pairs, in any order."""
    body = ",\n".join(text for _source, text in sorted(blocks))
    if not body:
        return head(config=config, rules=rules) + '  "files": []\n}\n'
    return head(config=config, rules=rules) + '  "files": [\n' + body + "\n  ]\n}\n"


#: One entry block exactly as :func:`block` writes it for a result that passed every rule.
BLOCK = re.compile(
    r"    \{\n"
    r'      "source": "(?P<source>[A-Za-z0-9._/-]+)",\n'
    r'      "target": "(?P<target>[A-Za-z0-9._/-]+)",\n'
    r'      "sha256": "(?P<sha256>[0-9a-f]{64})",\n'
    r'      "size": (?P<size>[1-9][0-9]{0,9}),\n'
    r'      "blob": "(?P<blob>[0-9a-f]{40})",\n'
    r'      "config_blob": (?:"(?P<config_blob>[0-9a-f]{40})"|null),\n'
    r'      "target_blob": "(?P<target_blob>[0-9a-f]{40})",\n'
    r'      "entry_id": "(?P<entry_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
    r'[0-9a-f]{4}-[0-9a-f]{12})",\n'
    r'      "backend": "(?P<backend>[a-z0-9][a-z0-9_-]*)",\n'
    r'      "model": "(?P<model>[A-Za-z0-9][A-Za-z0-9._-]*)",\n'
    r'      "run_id": "(?P<run_id>[a-z0-9][a-z0-9_-]*_[0-9]{8}_[0-9]{3})"\n'
    r"    \}"
)
