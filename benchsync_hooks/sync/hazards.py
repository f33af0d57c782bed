"""What the website's own state forbids: links on the way, case clashes, entry_ids in use."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from functools import partial

from ..bench.reading import ManifestText
from ..check.convention import parse_target
from ..check.facts import facts_from_value
from ..check.uniqueness import NEW_ID
from ..config import Config
from ..git import GitRepo
from ..git.listing import Entry, files_containing
from ..git.objects import read_blobs
from ..git.repo import Background
from ..report import Problem
from .values import PlannedFile, Rejected
from .verify import Claim


def website_hazards(
    writes: list[tuple[Claim, str | None]],
    site: Mapping[str, Entry],
    website: GitRepo,
    *,
    text: ManifestText,
) -> tuple[list[Problem], list[Rejected]]:
    """For what will be written: a symbolic link on the way (base tree or disk) is an
    integrity failure; a path differing only in case from a website path is rejected."""
    if not writes:
        return [], []
    folded = _folded(
        site, {p.casefold() for claim, _old in writes for p in _prefixes(claim.file.target)}
    )
    mine: dict[str, set[str]] = {}  # the writes' own folders, by their folded form
    for claim, _old in writes:
        for prefix in _prefixes(claim.file.target.rpartition("/")[0]):
            mine.setdefault(prefix.casefold(), set()).add(prefix)
    seen: dict[str, bool] = {}
    problems: list[Problem] = []
    rejected: list[Rejected] = []
    for claim, _old in writes:
        target = claim.file.target
        for prefix in _prefixes(target):
            if prefix not in seen:
                seen[prefix] = _is_link(site.get(prefix)) or os.path.islink(website.root / prefix)
            if seen[prefix]:
                problems.append(
                    text.problem(
                        claim.nth,
                        "target",
                        "website-symlink",
                        message=f"{prefix} is a symbolic link in the website; refusing to write "
                        f"{target} through it; replace the link with a real directory"
                        if prefix != target
                        else f"{target} is a symbolic link in the website where the result "
                        "goes; remove the link (git rm) and run again",
                    )
                )
                break
            others = folded.get(prefix.casefold(), set()) - {prefix}
            written = mine.get(prefix.casefold(), set()) - {prefix}
            if others or written:  # (every spelling, in no order: the least one named)
                whose = "the website's" if others else "another written result's"
                rejected.append(
                    Rejected(
                        claim.file.source,
                        "target-unique",
                        f"{target} differs only in case from {whose} "
                        f"{min(others or written)}; rename one of them",
                    )
                )
                break
    return problems, rejected


def _folded(site: Mapping[str, Entry], wanted: set[str]) -> dict[str, set[str]]:
    """Every spelling of the website's paths and folders whose case-folded form is in
    ``wanted`` (the folded paths and folders of the writes), by that form. All of them:
    a website may hold two already (``CPU/`` and ``cpu/``), and keeping one of those,
    picked in a set's order, made the verdict depend on the process's string hashing."""
    folded: dict[str, set[str]] = {}
    for path in site:
        key = path.casefold()
        if key in wanted:
            folded.setdefault(key, set()).add(path)
    for folder in {path.rpartition("/")[0] for path in site}:
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            key = prefix.casefold()
            if key in wanted:
                folded.setdefault(key, set()).add(prefix)
    return folded


def _is_link(entry: Entry | None) -> bool:
    return entry is not None and entry.is_symlink


def _prefixes(target: str) -> Iterator[str]:
    """``a``, ``a/b``, ``a/b/c`` of ``a/b/c``."""
    parts = target.split("/")
    for depth in range(1, len(parts) + 1):
        yield "/".join(parts[:depth])


def entry_id_clashes(
    writes: Iterable[PlannedFile],
    website: GitRepo,
    *,
    base_commit: str,
    site: Mapping[str, Entry],
    config: Config,
    searched: tuple[frozenset[str], Background[list[str]]] | None = None,
) -> list[Rejected]:
    """Writes whose entry_id another website file (or another write) already uses.

    The website's own bytes decide, never a manifest's claims: ``git grep -F`` (git's
    threaded search of the blobs at BASE, no checkout) finds the files holding any of the
    new ids, and only those few are read. ``searched`` is such a search already started
    (for the ids the manifest claims for the writes), used when it covers every new id.
    """
    items = list(writes)
    owners: dict[str, list[str]] = {}
    for item in items:
        for entry_id in item.facts.entry_ids:
            owners.setdefault(entry_id, []).append(item.target)
    if not owners:
        return []
    if searched is not None and searched[0] >= owners.keys():
        hits = searched[1].result()
    else:
        hits = files_containing(
            website, base_commit, [config.target_root], needles=_needles(owners)
        )
    # A website file being rewritten no longer holds its ids, unless its rewrite is refused
    # here too: then it keeps them, and the writes they clash with are refused in turn.
    in_site = [p for p in hits if p in site]
    found: dict[str, set[str]] = {}
    read: set[str] = set()
    refused: set[str] = set()  # sources
    while True:
        written = {item.target for item in items if item.source not in refused}
        fresh = {p: site[p].blob for p in in_site if p not in written and p not in read}
        data = dict(read_blobs(website, set(fresh.values()), max_size=config.max_file_size))
        for path, blob in fresh.items():
            for entry_id in _entry_ids(data.get(blob)):
                found.setdefault(entry_id, set()).add(path)
        read.update(fresh)
        rejected = _taken(items, owners, found, config=config)
        now = {r.source for r in rejected}
        if now == refused:
            return rejected
        refused = now


def _taken(
    items: list[PlannedFile],
    owners: dict[str, list[str]],
    found: dict[str, set[str]],
    *,
    config: Config,
) -> list[Rejected]:
    """The writes one of whose entry_ids a website file in ``found`` or another write holds.
    A holder that is not where the website keeps results (a stray copy, such as an old
    sync's) is named as such: removing it is the likelier fix."""
    rejected = []
    for item in items:
        for entry_id in item.facts.entry_ids:
            there = found.get(entry_id, set()) - {item.target}
            synced = set(owners[entry_id]) - there - {item.target}
            if not there and not synced:
                continue
            strays = [p for p in sorted(there) if parse_target(p, config)[0] is None]
            if strays:
                fix = (
                    f"{strays[0]} is not where the website keeps results (a stray copy?): git "
                    "rm it in the website, or give this result a new entry_id"
                )
            elif there:
                fix = (
                    "give this result a new entry_id (a new UUID) if it is a new result, or, if "
                    "it is that result moved in the benchmark repository, move it back"
                )
            else:
                fix = NEW_ID
            held = [f"{', '.join(sorted(there))} on the website"] if there else []
            held += [f"{', '.join(sorted(synced))}, new in this sync"] if synced else []
            rejected.append(
                Rejected(
                    item.source,
                    "entry-id-unique",
                    f"entry_id {entry_id} is already used by {' and by '.join(held)}; {fix}",
                )
            )
            break
    return rejected


def search_for_ids(
    website: GitRepo, base_commit: str, *, root: str, entry_ids: Iterable[str]
) -> tuple[frozenset[str], Background[list[str]]] | None:
    """``git grep -F`` for these ids under ``root`` at BASE, started on a thread (git
    searches on the other CPU while the new files are checked)."""
    wanted = frozenset(i for i in entry_ids if i)
    if not wanted:
        return None
    return wanted, Background(
        partial(files_containing, website, base_commit, [root], needles=_needles(wanted))
    )


def _needles(entry_ids: Iterable[str]) -> list[str]:
    """What to search the website's bytes for: the ids, and a backslash, for a file may
    spell an id with JSON escapes (``"\\u0061bc..."``, ``"run\\/7"``, any of them): such
    files are read and parsed too."""
    return [*entry_ids, "\\"]


def _entry_ids(data: bytes | None) -> tuple[str, ...]:
    import json

    if data is None:
        return ()
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return ()
    return facts_from_value(value, sha256="", size=0).entry_ids
