"""The one planner: from a source commit and a website base to a frozen :class:`Plan`.

Stateless: every run lists the source tree and the website's target root, checks
the structure of every manifest entry (:mod:`.verify`), decides new / updated /
unchanged by git blob ids, and reads, hashes and re-validates only what will be
written. Nothing outside git is consulted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from ..bench.manifest import MAX_ENTRIES, MAX_MANIFEST_BYTES
from ..bench.reading import ManifestText, load
from ..check.canonical import blob_id, canonical
from ..check.consistency import consistency
from ..check.content import check_content, config_path_for, locator, run_config_from_bytes
from ..check.convention import Locate, too_long
from ..check.jsondoc import JsonDoc
from ..check.uniqueness import repeated_ids
from ..config import Config
from ..errors import IntegrityError, UsageError
from ..files import too_big
from ..git import GitRepo
from ..git.listing import Entry, Listing, entries_at, tree_listing
from ..git.objects import read_blob, read_blobs
from ..git.repo import Background
from ..report import Problem
from .bulk import Sorted, Swept, false_claims, likely_new_ids, sort_entries, sweep
from .hazards import entry_id_clashes, search_for_ids, website_hazards
from .source import Source
from .values import Plan, PlannedFile, Rejected
from .verify import REGENERATE, Claim, verify_structure

Progress = Callable[[int, int], None]


def no_progress(_done: int, _total: int) -> None:
    return


def build_plan(
    source: Source,
    website: GitRepo,
    *,
    base: str,
    base_commit: str,
    config: Config,
    schema_text: str = "",
    progress: Progress = no_progress,
) -> Plan:
    """Verify the source's manifest and plan the website's changes (new and updated files
    are checked against the website's schema, ``schema_text``; "" is the bundled one)."""
    empty = Plan(source, base, base_commit)
    # Both listings (git works on the other CPU) while the manifest is read and parsed.
    source_soon = Background(
        partial(tree_listing, source.repo, source.commit, config.source_root, sizes=True)
    )
    site_soon = Background(partial(tree_listing, website, base_commit, config.target_root))
    manifest_entry = entries_at(source.repo, source.commit, [config.manifest]).get(config.manifest)
    if manifest_entry is None or not manifest_entry.is_file:
        raise UsageError(
            f"no manifest at {source.location}@{source.short}: {config.manifest} is missing; "
            "install the leaderboard-manifest hook in the benchmark repository and commit it"
        )
    display = f"{config.manifest}@{source.short}"
    data = read_blob(source.repo, manifest_entry.blob, max_size=MAX_MANIFEST_BYTES)
    if data is None:
        raise IntegrityError(
            f"{display}: manifest-size is {manifest_entry.size:,} bytes, over the limit of "
            f"{MAX_ENTRIES:,} entries; split the benchmark repository's results"
        )
    # One copy of the manifest in memory: its text when it is ASCII (the bytes otherwise).
    ascii_text = data.decode("ascii") if data.isascii() else None
    if ascii_text is not None:
        data = b""
    site = site_soon.result()
    early = search_for_ids(  # while git still lists the source (ids claimed: a first guess)
        website,
        base_commit,
        root=config.target_root,
        entry_ids=likely_new_ids(ascii_text, site=site),
    )
    listing = source_soon.result()
    listing.add(manifest_entry)
    swept = _swept(ascii_text, listing=listing, site=site, config=config)
    found: tuple[ManifestText, Sorted] | None = None
    if swept is not None and swept.holds:
        found = (
            ManifestText(display, b"", text=swept.text),
            sort_entries(swept, listing=listing),
        )
    elif swept is not None:
        problems = false_claims(
            swept, listing=listing, config=config, short=source.short, display=display
        )
        if problems is not None:
            return _replace(empty, integrity=tuple(problems))
    del swept
    if found is None:
        manifest, text = load(data or ascii_text or "", display)
        del ascii_text, data  # the manifest text is kept by `text` (for positions), once
        claims, problems = verify_structure(
            manifest, text, listing, config=config, short=source.short
        )
        if problems:
            return _replace(empty, integrity=tuple(problems))
        found = (text, _sort_claims(claims, site))
    text, entries = found
    writes, unchanged = entries.writes, entries.unchanged
    claimed = {c.file.entry_id for c, _ in writes}
    searched = (  # the website's bytes, not the manifest, say who holds an id
        early
        if early is not None and early[0] >= claimed
        else search_for_ids(website, base_commit, root=config.target_root, entry_ids=claimed)
    )
    hazards, rejected = website_hazards(writes, site, website, text=text)
    if hazards:
        return _replace(empty, integrity=tuple(hazards))
    skip = {r.source for r in rejected}
    checked = _check_writes(
        [w for w in writes if w[0].file.source not in skip],
        listing,
        (source, website),
        config=config,
        text=text,
        checks=(schema_text, progress),
    )
    clashes = entry_id_clashes(
        checked.writes,
        website,
        base_commit=base_commit,
        site=site,
        config=config,
        searched=searched,
    )
    taken = {r.source for r in clashes}
    return Plan(
        source,
        base,
        base_commit,
        writes=tuple(w for w in checked.writes if w.source not in taken),
        unchanged=unchanged + checked.unchanged,
        kept=entries.kept,
        rejected=(*rejected, *checked.rejected, *clashes),
        integrity=checked.integrity,
        website=MappingProxyType(site),
    )


def _swept(text: str | None, *, listing: Listing, site: Listing, config: Config) -> Swept | None:
    """One sweep of the manifest (:mod:`.bulk`); None when it must be read entry by entry."""
    if text is None or text.count('"source"') > MAX_ENTRIES:
        return None
    return sweep(text, listing=listing, site=site, config=config)


def _sort_claims(claims: list[Claim], site: Mapping[str, Entry]) -> Sorted:
    """The claims checked entry by entry, sorted as :func:`.bulk.sort_entries` does."""
    writes: list[tuple[Claim, str | None]] = []
    unchanged = 0
    for claim in claims:
        found = site.get(claim.file.target)
        if found is None:
            writes.append((claim, None))
        elif found.is_file and found.blob in (claim.entry.blob, claim.file.target_blob):
            unchanged += 1  # the source's bytes or their canonical form
        else:
            writes.append((claim, found.blob))
    described = {c.file.target for c in claims}
    return Sorted(writes, unchanged, sum(1 for path in site if path not in described))


def _replace(plan: Plan, **changes: object) -> Plan:
    from dataclasses import replace

    return replace(plan, **changes)  # type: ignore[arg-type]


def _at(doc: JsonDoc | None) -> Locate:
    """Positions in a document already parsed."""
    return locator(lambda: doc)


@dataclass(frozen=True)
class _Checked:
    writes: tuple[PlannedFile, ...]
    rejected: tuple[Rejected, ...]
    integrity: tuple[Problem, ...]
    unchanged: int  # website files of another form holding the same JSON value


def _check_writes(
    writes: list[tuple[Claim, str | None]],
    listing: Mapping[str, Entry],
    repos: tuple[Source, GitRepo],
    *,
    config: Config,
    text: ManifestText,
    checks: tuple[str, Progress],
) -> _Checked:
    """Read, hash and re-validate what will be written, each blob once; a website file
    that holds the same JSON value in another form is unchanged."""
    source, website = repos
    schema_text, progress = checks
    config_paths = {config_path_for(c.file.source) for c, _old in writes}
    config_entries = {p: listing[p] for p in config_paths if p in listing and listing[p].is_file}
    config_data = dict(
        read_blobs(source.repo, {e.blob for e in config_entries.values()}, max_size=1 << 20)
    )
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
            run_config = run_config_from_bytes(cfg_path, config_data.get(cfg.blob)) if cfg else None
            problems += consistency(claim.result, facts, run_config, config=config, locate=_at(doc))
            problems += repeated_ids(item.source, facts.entry_ids)
        if problems or facts is None:
            rejected.extend(
                Rejected(item.source, p.rule, p.message, p.line, p.column) for p in problems
            )
            continue
        assert doc is not None
        out = canonical(doc.value)
        blob = blob_id(out)
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
    return _Checked(tuple(planned), tuple(rejected), tuple(integrity), unchanged)


def _same_value(data: bytes | None, out: bytes) -> bool:
    """Whether a website file's bytes hold the JSON value whose canonical form is ``out``."""
    if data is None:
        return False
    try:
        return canonical(json.loads(data)) == out
    except (ValueError, RecursionError, TypeError):
        return False
