"""Re-check what a plan will write: read, hash and validate each new or updated file.

The planner (:mod:`.plan`) hands over the entries whose claims hold structurally; here
each blob is read once, its size and sha256 compared with the claims, its content checked
against the website's schema and its ``config.json``, and its canonical form computed.
A website file that already holds the same JSON value in another form is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..bench.reading import ManifestText
from ..check.canonical import canonical
from ..check.consistency import consistency
from ..check.content import (
    MAX_CONFIG_BYTES,
    check_content,
    config_path_for,
    locator,
    oversized_config,
    run_config_from_bytes,
)
from ..check.convention import Locate, too_long
from ..check.jsondoc import JsonDoc
from ..check.uniqueness import repeated_ids
from ..config import Config
from ..files import too_big
from ..git import GitRepo
from ..git.listing import Entry
from ..git.objects import read_blobs
from ..report import Problem
from .source import Source
from .values import PlannedFile, Rejected
from .verify import REGENERATE, Claim

Progress = Callable[[int, int], None]


def _at(doc: JsonDoc | None) -> Locate:
    """Positions in a document already parsed."""
    return locator(lambda: doc)


@dataclass(frozen=True)
class Checked:
    writes: tuple[PlannedFile, ...]
    rejected: tuple[Rejected, ...]
    integrity: tuple[Problem, ...]
    unchanged: int  # website files of another form holding the same JSON value


def check_writes(
    writes: list[tuple[Claim, str | None]],
    listing: Mapping[str, Entry],
    repos: tuple[Source, GitRepo],
    *,
    config: Config,
    text: ManifestText,
    checks: tuple[str, Progress],
) -> Checked:
    """Read, hash and re-validate what will be written, each blob once; a website file
    that holds the same JSON value in another form is unchanged."""
    source, website = repos
    schema_text, progress = checks
    config_paths = {config_path_for(c.file.source) for c, _old in writes}
    config_entries = {p: listing[p] for p in config_paths if p in listing and listing[p].is_file}
    config_blobs = {e.blob for e in config_entries.values()}
    config_data = dict(read_blobs(source.repo, config_blobs, max_size=MAX_CONFIG_BYTES))
    blobs = dict(
        read_blobs(source.repo, {c.entry.blob for c, _ in writes}, max_size=config.max_file_size)
    )
    old_blobs = {old for _claim, old in writes if old is not None}
    old_data = dict(read_blobs(website, old_blobs, max_size=config.max_file_size))
    planned: list[PlannedFile] = []
    rejected: list[Rejected] = []
    integrity: list[Problem] = []
    unchanged = 0
    for done, (claim, old) in enumerate(writes, 1):
        progress(done, len(writes))
        item = claim.file
        data = blobs[claim.entry.blob]
        if data is None:  # (the same words as the benchmark side's)
            big = too_big(item.source, max(claim.entry.size, item.size), config.max_file_size)
            rejected.append(Rejected(item.source, big.rule, big.message))
            continue
        if len(data) != item.size:
            integrity.append(
                text.problem(
                    claim.nth,
                    "size",
                    "manifest-size",
                    message=f"claims {item.size} bytes for {item.source}, the blob has "
                    f"{len(data)}; {REGENERATE}",
                )
            )
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != item.sha256:
            integrity.append(
                text.problem(
                    claim.nth,
                    "sha256",
                    "manifest-hash",
                    message=f"claims sha256 {item.sha256[:12]}… for {item.source}, the blob at "
                    f"{source.short} has {digest[:12]}…; the manifest is stale or tampered "
                    f"with; {REGENERATE}",
                )
            )
            continue
        doc, facts, problems = check_content(data, item.source, config, schema_text=schema_text)
        if facts is not None and item.entry_id not in facts.entry_ids:
            integrity.append(
                text.problem(
                    claim.nth,
                    "entry_id",
                    "manifest-field",
                    message=f"claims entry_id {item.entry_id} for {item.source}, the file has "
                    f"{', '.join(facts.entry_ids) or 'none'}; {REGENERATE}",
                )
            )
            continue
        long = too_long(claim.result, config)  # (a name the website cannot write)
        if long is not None:
            problems.append(long)
        if facts is not None:
            cfg_path = config_path_for(item.source)
            cfg = config_entries.get(cfg_path)
            run_config = None
            if cfg is not None:
                found = config_data.get(cfg.blob)
                run_config = run_config_from_bytes(cfg_path, found) or oversized_config(cfg_path)
            problems += consistency(claim.result, facts, run_config, config=config, locate=_at(doc))
            problems += repeated_ids(item.source, facts.entry_ids)
        if problems or facts is None:
            rejected.extend(
                Rejected(item.source, p.rule, p.message, p.line, p.column) for p in problems
            )
            continue
        assert doc is not None
        out, blob = doc.canonical, facts.canonical_blob  # (made by the check of the content)
        if item.target_blob is not None and item.target_blob != blob:
            integrity.append(
                text.problem(
                    claim.nth,
                    "target_blob",
                    "manifest-blob",
                    message=f"claims target_blob {item.target_blob[:12]} for {item.source}, "
                    f"its canonical form has {blob[:12]}; {REGENERATE}",
                )
            )
            continue
        if old is not None and (old == blob or _same_value(old_data.get(old), out)):
            unchanged += 1  # the website holds the same JSON value in another form
            continue
        planned.append(PlannedFile(claim, "updated" if old else "new", old, out, blob, facts))
    return Checked(tuple(planned), tuple(rejected), tuple(integrity), unchanged)


def _same_value(data: bytes | None, out: bytes) -> bool:
    """Whether a website file's bytes hold the JSON value whose canonical form is ``out``."""
    if data is None:
        return False
    try:
        return canonical(json.loads(data)) == out
    except (ValueError, RecursionError, TypeError):
        return False
