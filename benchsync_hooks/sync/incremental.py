"""Plan an apply from the last verified plan and what git says changed since.

A daily sync brings ten results into a website that holds fifty thousand. The
last apply of this source left a :mod:`snapshot`: the source commit, the
manifest blob and the website tree it verified, and one row per entry. Today's
plan starts from it and looks only at

* the source paths ``git diff-tree`` reports between the two source commits,
* the website paths it reports between the two target-root trees,
* the manifest entries whose bytes changed (:mod:`splice`),
* the entries to be written (read, hashed and checked as in a full plan).

Every claim that is new is verified exactly as the full plan verifies it (the
same functions). An entry the snapshot verified keeps its verdict only while its
bytes in the manifest, its blob, its ``config.json`` and its website file are all
unchanged. Anything unexpected (a changed source whose manifest entry did not
change, a symbolic link, a case clash, a non-canonical manifest, a false claim)
returns None, and the caller reads everything again: the full plan then reports
the problem with its line and column.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import pairwise

from .. import gitrepo
from ..checks import config_path_for
from ..config import Config
from ..errors import GitError
from ..gitrepo import Entry, GitRepo
from ..layout import SUFFIX
from ..manifest import ManifestFile, entries_valid
from . import prbody
from .plan import (
    MAX_MANIFEST,
    Item,
    Plan,
    Progress,
    _claims,
    _no_progress,
    _verify_content,
)
from .snapshot import ABSENT, Columns, Snapshot
from .source import Source
from .splice import Add, Edits, block_starts, diff, parse_blocks, unchanged

#: Changed paths (source or website) or manifest entries above which a full plan is cheaper.
LIMIT = 5000
#: The manifest schema's largest number of entries.
MAX_ENTRIES = 1_000_000
_FILE_MODES = ("100644", "100755")


class Fallback(Exception):
    """The snapshot cannot answer; plan from scratch."""


def plan_incremental(
    source: Source,
    website: GitRepo,
    *,
    base: str,
    base_commit: str,
    config: Config,
    manifest_blob: str,
    last: Snapshot,
    progress: Progress = _no_progress,
) -> tuple[Plan, Snapshot] | str:
    """The plan and the next snapshot, or why a full plan is needed."""
    try:
        return _plan(source, website, base, base_commit, config, manifest_blob, last, progress)
    except (Fallback, GitError) as exc:
        return str(exc)


def _plan(
    source: Source,
    website: GitRepo,
    base: str,
    base_commit: str,
    config: Config,
    manifest_blob: str,
    last: Snapshot,
    progress: Progress,
) -> tuple[Plan, Snapshot]:
    website_tree = gitrepo.tree_id(website, base_commit, config.target_root) or ""
    source_changes = _changes(source.repo, last.source_commit, source.commit, config.source_root)
    website_changes = _website_changes(website, last.website_tree, website_tree)
    new_text, edits = _manifest_change(source, last, manifest_blob, config)
    added = edits.added
    if len(added) > LIMIT or edits.entries > MAX_ENTRIES:
        raise Fallback("too many changed entries")
    rows, fresh = _rebuild(last.rows, edits)
    _check_targets(rows, fresh)
    _check_source_changes(rows, fresh, source_changes)
    count = _apply_website_changes(rows, fresh, website_changes, config, last.website_count)
    if added and not entries_valid(added, config):
        raise Fallback("new entries break the manifest schema")

    # Rows of new entries: source blob at the new commit, website blob in the base.
    claims: dict[int, ManifestFile] = dict(fresh)
    on_site = gitrepo.entries_at(website, base_commit, [c.target for c in added])
    for i, claim in fresh.items():
        found = on_site.get(claim.target)
        if found is not None and not found.is_file:
            raise Fallback("not a regular file at a target")
        rows.website[i] = found.blob if found is not None else ABSENT

    # Entries kept from the snapshot that need a look: to be written, or too large.
    limit = config.max_file_size
    columns = zip(rows.blobs, rows.website, rows.sizes, strict=True)
    retained = [
        i
        for i, (blob, there, size) in enumerate(columns)
        if (there != blob or size > limit) and i not in claims
    ]
    if len(retained) > LIMIT:
        raise Fallback("too many entries to write")
    if retained:
        text = new_text if new_text is not None else _read_manifest(source, manifest_blob)
        claims.update(_claims_at(text, rows, retained, config))

    writes_sources = [claims[i].source for i in claims]
    listing = gitrepo.entries_at(
        source.repo,
        source.commit,
        writes_sources + [config_path_for(s) for s in writes_sources],
    )
    plan = Plan(source, base, base_commit, website_repo=website, mode="incremental")
    _claims(
        plan,
        tuple(added),
        config.source_root,
        config.target_root,
        None,
        listing,
        config,
        None,
        None,
    )
    if plan.integrity:
        raise Fallback("a new claim is false")
    for item, index in zip(plan.items, fresh, strict=True):
        item.index = index
        rows.blobs[index] = item.blob
    for i in retained:
        blob = rows.blobs[i]
        plan.items.append(Item(claims[i], blob, i))
        plan.sizes[blob] = rows.sizes[i]
    plan.items.sort(key=lambda item: item.index)
    for item in plan.items:
        there = rows.website[item.index]
        if there == ABSENT:
            item.status = "new"
        elif there == item.blob:
            item.status = "unchanged"
        else:
            item.status, item.website_blob = "updated", there
    plan.website = _website_hazards(plan, website, config)
    plan.kept = count - sum(1 for there in rows.website if there != ABSENT)
    _verify_content(plan, None, listing, config, None, progress)
    if plan.integrity:
        raise Fallback("a claim is false")
    plan.unchanged = len(rows) - sum(1 for item in plan.items if item.status != "unchanged")
    manifest = new_text if new_text is not None else last.manifest
    return plan, Snapshot(source.commit, manifest_blob, website_tree, count, rows, manifest)


def _changes(repo: GitRepo, old: str, new: str, prefix: str) -> list[gitrepo.Change]:
    if old == new:
        return []
    changes = gitrepo.diff_trees(repo, old, new, prefix)
    if changes is None:
        raise Fallback(f"{old} is no longer in the repository")
    if len(changes) > LIMIT:
        raise Fallback("too many changed paths")
    return changes


def _website_changes(website: GitRepo, old: str, new: str) -> list[gitrepo.Change]:
    """What changed under the target root ("" for a base without that folder)."""
    if old == new:
        return []
    if not new:
        raise Fallback("the results folder is gone from the base")
    if old:
        return _changes(website, old, new, "")
    listing = gitrepo.tree_entries(website, new, ".")  # the first results: few
    if len(listing) > LIMIT:
        raise Fallback("too many changed paths")
    return [gitrepo.Change(e.path, e.mode, e.blob, "A") for e in listing.values()]


def _manifest_change(
    source: Source, last: Snapshot, blob: str, config: Config
) -> tuple[bytes | None, Edits]:
    """The new manifest's text (None when it is the snapshot's) and how its entries changed."""
    if blob == last.manifest_blob:
        return None, unchanged(len(last.rows))
    new = _read_manifest(source, blob)
    old = last.manifest
    rows = last.rows
    edits = diff(old, new, rows.sources, rows.lengths, config)
    if edits is None:
        raise Fallback("the manifest is not canonical where it changed")
    return new, edits


def _read_manifest(source: Source, blob: str) -> bytes:
    for _blob, data in gitrepo.read_blobs_limited(source.repo, [blob], max_size=MAX_MANIFEST):
        if data is not None:
            return data
    raise Fallback("the manifest is too large")


def _rebuild(old: Columns, edits: Edits) -> tuple[Columns, dict[int, ManifestFile]]:
    """The rows of the new manifest, and the new entries by row. Their blobs and
    website blobs are filled in once looked up."""
    rows = Columns([], [], [], [], [], [])
    fresh: dict[int, ManifestFile] = {}
    for step in edits.steps:
        if isinstance(step, Add):
            claim = step.claim
            fresh[len(rows.sources)] = claim
            rows.sources.append(claim.source)
            rows.targets.append(claim.target)
            rows.blobs.append(ABSENT)
            rows.website.append(ABSENT)
            rows.sizes.append(claim.size)
            rows.lengths.append(step.length)
        else:
            part = slice(step.start, step.stop)
            rows.sources += old.sources[part]
            rows.targets += old.targets[part]
            rows.blobs += old.blobs[part]
            rows.website += old.website[part]
            rows.sizes += old.sizes[part]
            rows.lengths += old.lengths[part]
    return rows, fresh


def _check_targets(rows: Columns, fresh: dict[int, ManifestFile]) -> None:
    """No second claim on a target among the new entries (also in another case: on a
    case-insensitive file system the two would be one file). Sources are unique
    already: :func:`splice.diff` keeps them strictly sorted."""
    if not fresh:
        return
    folded = {t.casefold() for i, t in enumerate(rows.targets) if i not in fresh}
    for claim in fresh.values():
        key = claim.target.casefold()
        if key in folded:
            raise Fallback("a target is claimed twice")
        folded.add(key)


def _check_source_changes(
    rows: Columns, fresh: dict[int, ManifestFile], changes: list[gitrepo.Change]
) -> None:
    """A result or a config.json that changed under an entry whose claim did not change
    means a stale manifest (or a rule to check again): the full plan says which."""
    sources = rows.sources
    for change in changes:
        path = change.path
        if path.endswith(SUFFIX):
            i = bisect_left(sources, path)
            if i < len(sources) and sources[i] == path and i not in fresh:
                raise Fallback(f"{path} changed but its manifest entry did not")
        elif path.rpartition("/")[2] == "config.json":
            folder = path.rpartition("/")[0] + "/"
            i = bisect_left(sources, folder)
            while i < len(sources) and sources[i].startswith(folder):
                if i not in fresh:
                    raise Fallback(f"{path} changed under results of the snapshot")
                i += 1


def _apply_website_changes(
    rows: Columns,
    fresh: dict[int, ManifestFile],
    changes: list[gitrepo.Change],
    config: Config,
    count: int,
) -> int:
    """Bring the website column to the new base; the new number of website entries."""
    if not changes:
        return count
    where = {t: i for i, t in enumerate(rows.targets)}
    root = config.target_root + "/"
    for change in changes:
        if not change.deleted and change.mode not in _FILE_MODES:
            raise Fallback("a link or submodule appeared in the website")
        count += {"A": 1, "D": -1}.get(change.status, 0)
        i = where.get(root + change.path)
        if i is not None and i not in fresh:
            rows.website[i] = ABSENT if change.deleted else change.blob
    return count


def _claims_at(
    text: bytes, rows: Columns, wanted: list[int], config: Config
) -> dict[int, ManifestFile]:
    """The claims of rows ``wanted``, parsed from their blocks in the manifest text."""
    starts = block_starts(config, rows.lengths)
    claims: dict[int, ManifestFile] = {}
    for i in wanted:
        start = starts[i]
        parsed = parse_blocks(text[start : start + rows.lengths[i]])
        if parsed is None or len(parsed[0]) != 1 or parsed[0][0].source != rows.sources[i]:
            raise Fallback("the snapshot does not match the manifest")
        claims[i] = parsed[0][0]
    return claims


def _website_hazards(plan: Plan, website: GitRepo, config: Config) -> dict[str, Entry]:
    """Symbolic links on the way to a written file and names that differ only in case
    send the plan to the full path (which names the problem). Returns the website's
    files in the written files' folders whose names end like a written file's (the
    pull request body compares each result with the latest earlier run)."""
    import os

    root = config.target_root
    writes = plan.writes
    wanted: dict[str, set[str]] = {root: set()}  # folder → names looked for, case-folded
    for item in writes:
        folder = root
        for name in item.target[len(root) + 1 :].split("/"):
            wanted.setdefault(folder, set()).add(name.casefold())
            folder = f"{folder}/{name}"
    children = gitrepo.tree_children(website, plan.base_commit, wanted)
    for item in writes:
        parts = item.target.split("/")
        for depth in range(1, len(parts) + 1):
            if os.path.islink(website.root / "/".join(parts[:depth])):
                raise Fallback(f"{'/'.join(parts[:depth])} is a symbolic link on disk")
    exact: set[str] = set()  # the written files and their folders below the root
    for item in writes:
        parts = item.target[len(root) + 1 :].split("/")
        exact.update("/".join([root, *parts[:depth]]) for depth in range(1, len(parts) + 1))
    for folder, entries in children.items():
        names = wanted[folder]
        for name, mode, _oid in entries:
            if name.casefold() in names and (
                f"{folder}/{name}" not in exact or mode == gitrepo.SYMLINK_MODE
            ):
                raise Fallback(f"{folder}/{name} is a link or differs only in case")
    files: dict[str, Entry] = {}
    for item in writes:
        folder = item.target.rpartition("/")[0]
        here = {n: (m, o) for n, m, o in children.get(folder, []) if m != gitrepo.TREE_MODE}
        mine = prbody.run_key(item.claim.run_id)
        found = prbody.latest_before(here, prbody.ending_of(item), mine) if mine else None
        if found is not None:
            mode, oid = here[found]
            files[f"{folder}/{found}"] = Entry(f"{folder}/{found}", mode, oid.hex())
    return files


def snapshot_of(plan: Plan, manifest: bytes, manifest_blob: str, config: Config) -> Snapshot | None:
    """The snapshot of a verified full plan, when its manifest is canonical text."""
    from ..manifest import assemble, block

    claims = [item.claim for item in plan.items]
    if not claims:
        return None
    blocks = [block(c) for c in claims]
    if assemble(blocks, config).encode("utf-8", "surrogateescape") != manifest:
        return None
    sources = [c.source for c in claims]
    if any(a >= b for a, b in pairwise(sources)):
        return None
    tree = gitrepo.tree_id(plan.website_repo, plan.base_commit, config.target_root) or ""
    site = plan.website
    targets = [c.target for c in claims]
    rows = Columns(
        sources,
        targets,
        [item.blob for item in plan.items],
        [site[t].blob if t in site else ABSENT for t in targets],
        [c.size for c in claims],
        [len(b.encode("utf-8", "surrogateescape")) for b in blocks],
    )
    return Snapshot(plan.source.commit, manifest_blob, tree, len(site), rows, manifest)
