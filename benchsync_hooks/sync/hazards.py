"""What the website's own state forbids: links on the way, case clashes, entry_ids in use."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from ..bench.manifest import ManifestText
from ..check.facts import facts_from_value
from ..config import Config
from ..git import GitRepo
from ..git.listing import Entry, files_containing, tree_listing
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
    links = {p for p, e in site.items() if e.is_symlink}
    folded: dict[str, str] = {}
    for path in site:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            folded.setdefault("/".join(parts[:depth]).casefold(), "/".join(parts[:depth]))
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


def entry_id_clashes(
    writes: Iterable[PlannedFile], website: GitRepo, *, base_commit: str, config: Config
) -> list[Rejected]:
    """Writes whose entry_id another website file (or another write) already uses.

    ``git grep`` finds the few website files whose bytes hold one of the ids; only those
    are read and parsed, so the cost grows with what is written, not with the website.
    """
    items = list(writes)
    owners: dict[str, list[str]] = {}
    for item in items:
        for entry_id in item.facts.entry_ids:
            owners.setdefault(entry_id, []).append(item.target)
    if not owners:
        return []
    found: dict[str, set[str]] = {}
    candidates = files_containing(website, base_commit, config.target_root, needles=owners)
    if candidates:
        listing = tree_listing(website, base_commit, config.target_root)
        blobs = {p: listing[p].blob for p in candidates if p in listing}
        data = dict(read_blobs(website, set(blobs.values()), max_size=config.max_file_size))
        for path, blob in blobs.items():
            for entry_id in _entry_ids(data.get(blob)):
                found.setdefault(entry_id, set()).add(path)
    rejected = []
    for item in items:
        for entry_id in item.facts.entry_ids:
            others = (found.get(entry_id, set()) | set(owners[entry_id])) - {item.target}
            if others:
                rejected.append(
                    Rejected(
                        item.source,
                        "entry-id-unique",
                        f"entry_id {entry_id} is already used by {', '.join(sorted(others))} "
                        "on the website; give this result a new entry_id (a new UUID)",
                    )
                )
                break
    return rejected


def _entry_ids(data: bytes | None) -> tuple[str, ...]:
    import json

    if data is None:
        return ()
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return ()
    return facts_from_value(value, sha256="", size=0).entry_ids
