"""What the website's own state forbids: links on the way, case clashes, entry_ids in use."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..bench.reading import ManifestText
from ..check.facts import facts_from_value
from ..config import Config
from ..git import GitRepo
from ..git.listing import Entry, files_containing, symlinks
from ..git.objects import read_blobs
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
    links = symlinks(site)
    folded = _folded(site)
    seen: dict[str, bool] = {}
    problems: list[Problem] = []
    rejected: list[Rejected] = []
    for claim, _old in writes:
        target = claim.file.target
        parts = target.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in seen:
                seen[prefix] = prefix in links or os.path.islink(website.root / prefix)
            if seen[prefix]:
                problems.append(
                    text.problem(
                        claim.nth,
                        "target",
                        "website-symlink",
                        message=f"{prefix} is a symbolic link in the website; refusing to write "
                        f"{target} through it; replace the link with a real directory",
                    )
                )
                break
            existing = folded.get(prefix.casefold())
            if existing is not None and existing != prefix:
                rejected.append(
                    Rejected(
                        claim.file.source,
                        "target-unique",
                        f"{target} differs only in case from the website's {existing}; "
                        "rename one of them",
                    )
                )
                break
    return problems, rejected


def _folded(site: Mapping[str, Entry]) -> dict[str, str]:
    """Every path and folder of the website by its case-folded form."""
    folded = {path.casefold(): path for path in site}
    for folder in {path.rpartition("/")[0] for path in site}:
        parts = folder.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            folded.setdefault(prefix.casefold(), prefix)
    return folded


@dataclass(frozen=True)
class Described:
    """What a manifest says of the website's files: the entry_ids of the files it
    describes as unchanged (looked up by id), and the other files."""

    holders: Callable[[set[str]], dict[str, set[str]]]  # entry_ids → files holding each
    others: frozenset[str]  # website files whose entry_ids only their bytes tell


def entry_id_clashes(
    writes: Iterable[PlannedFile],
    website: GitRepo,
    *,
    base_commit: str,
    site: Mapping[str, Entry],
    described: Described,
    config: Config,
) -> list[Rejected]:
    """Writes whose entry_id another website file (or another write) already uses.

    The files the manifest describes as unchanged hold the entry_ids it claims for
    them. The other website files are searched with ``git grep`` for the new ids, and
    only the few that hold one are read, so the cost grows with what is written and
    with the files no manifest entry describes, not with the website.
    """
    items = list(writes)
    owners: dict[str, list[str]] = {}
    for item in items:
        for entry_id in item.facts.entry_ids:
            owners.setdefault(entry_id, []).append(item.target)
    if not owners:
        return []
    found = described.holders(set(owners))
    written = {item.target for item in items}
    others = sorted(p for p in described.others if p not in written)
    if others:
        scope = others if len(others) <= _PATHSPECS else [config.target_root]
        hits = files_containing(website, base_commit, scope, needles=owners)
        blobs = {p: site[p].blob for p in hits if p in site and p not in written}
        data = dict(read_blobs(website, set(blobs.values()), max_size=config.max_file_size))
        for path, blob in blobs.items():
            for entry_id in _entry_ids(data.get(blob)):
                found.setdefault(entry_id, set()).add(path)
    rejected = []
    for item in items:
        for entry_id in item.facts.entry_ids:
            taken = (found.get(entry_id, set()) | set(owners[entry_id])) - {item.target}
            if taken:
                rejected.append(
                    Rejected(
                        item.source,
                        "entry-id-unique",
                        f"entry_id {entry_id} is already used by {', '.join(sorted(taken))} "
                        "on the website; give this result a new entry_id (a new UUID)",
                    )
                )
                break
    return rejected


#: Up to this many files are searched by name; more, and the whole target root is.
_PATHSPECS = 2_000


def _entry_ids(data: bytes | None) -> tuple[str, ...]:
    import json

    if data is None:
        return ()
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return ()
    return facts_from_value(value, sha256="", size=0).entry_ids
