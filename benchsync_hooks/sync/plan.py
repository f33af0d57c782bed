"""The one planner: from a source commit and a website base to a frozen :class:`Plan`.

Stateless: every run lists the source tree and the website's target root, checks
the structure of every manifest entry (:mod:`.verify`), decides new / updated /
unchanged by git blob ids, and reads, hashes and re-validates only what will be
written. Nothing outside git is consulted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType

from ..bench.manifest import MAX_ENTRIES, MAX_MANIFEST_BYTES
from ..bench.reading import ManifestText, load
from ..config import Config
from ..errors import IntegrityError, UsageError
from ..git import GitRepo
from ..git.listing import Entry, Listing, entries_at, tree_listing
from ..git.objects import object_info, read_blob
from ..git.repo import Background
from .bulk import Sorted, Swept, false_claims, likely_new_ids, sort_entries, sweep
from .hazards import entry_id_clashes, search_for_ids, website_hazards
from .recheck import Progress, check_writes
from .source import Source, source_config
from .unlisted import claimed_sources, rendered_sources, unlisted_of
from .values import Plan
from .verify import Claim, verify_structure


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
    _not_the_benchmark_repository(source, website, base_commit=base_commit, config=config)
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
    named: Callable[[], set[str]]  # the sources the manifest names (asked for when some lack)
    if swept is not None and swept.holds:
        found = (
            ManifestText(display, b"", text=swept.text),
            sort_entries(swept, listing=listing),
        )
        named = partial(rendered_sources, swept.text)
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
        named = partial(claimed_sources, claims)
    text, entries = found
    writes, unchanged = entries.writes, entries.unchanged
    theirs, unread = source_config(source)  # the benchmark repository's own (or why not)
    unlisted = unlisted_of(
        source,
        listing,
        listed=len(writes) + unchanged,
        named=named,
        config=config,
        selection=theirs or config,
        schema_text=schema_text,
    )
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
    checked = check_writes(
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
        unlisted=unlisted,
        differs=() if theirs is None else config.differs_from(theirs),
        warnings=(
            f"the benchmark repository's configuration at {source.short} cannot be read "
            f"({unread}): the results its manifest leaves out were looked for with this "
            "website's include/exclude",
        )
        if theirs is None
        else (),
    )


def _not_the_benchmark_repository(
    source: Source, website: GitRepo, *, base_commit: str, config: Config
) -> None:
    """Refuse a website that is the source itself, or any benchmark repository (one that
    tracks the manifest): a sync there would commit results into the benchmark side."""
    if website.git_dir == source.repo.git_dir:  # (git's common folder: its worktrees too)
        why = f"it is the source, {source.location}"
    elif object_info(website, f"{base_commit}:{config.manifest}") is not None:
        why = f"it tracks {config.manifest}"
    else:
        return
    raise UsageError(
        f"{website.root} looks like the benchmark repository ({why}): run apply in the "
        "website repository, or name it with --website DIR"
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
