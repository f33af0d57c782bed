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
returns the reason instead, and the caller reads everything again: the full plan
then reports the problem with its line and column.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Callable
from itertools import pairwise
from typing import ParamSpec, TypeVar

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
    no_progress,
    verify_claims,
    verify_content,
)
from .snapshot import ABSENT, Columns, Snapshot
from .source import Source
from .splice import Add, Edits, block_starts, diff, parse_blocks, unchanged

#: Changed paths (source or website) or manifest entries above which a full plan is cheaper.
LIMIT = 5000
#: The manifest schema's largest number of entries.
MAX_ENTRIES = 1_000_000
_FILE_MODES = ("100644", "100755")


P = ParamSpec("P")
R = TypeVar("R")


class Fallback(Exception):
    """The snapshot cannot answer; plan from scratch."""


def _or_reason(plan: Callable[P, R]) -> Callable[P, R | str]:
    """The plan, or the reason the snapshot could not answer (a full plan is needed)."""

    @functools.wraps(plan)
    def planned(*args: P.args, **kwargs: P.kwargs) -> R | str:
        try:
            return plan(*args, **kwargs)
        except (Fallback, GitError) as exc:
            return str(exc)

    return planned


@_or_reason
def plan_incremental(
    source: Source,
    website: GitRepo,
    *,
    base: str,
    base_commit: str,
    config: Config,
    manifest_blob: str,
    last: Snapshot,
    texts: Texts | None = None,
    progress: Progress = no_progress,
) -> tuple[Plan, Snapshot]:
    """The plan and the next snapshot (or, through :func:`_or_reason`, why a full plan is
    needed). ``texts`` are the new and the last manifest already being read, when started."""
    texts = texts or Texts(source, manifest_blob, last.manifest_blob)
    # Three git questions at once, each on its own CPU time: what changed in the source,
    # in the website, and the new manifest's text (already being read).
    source_soon = _changes_soon(source.repo, last.source_commit, source.commit, config.source_root)
    website_tree = gitrepo.tree_id(website, base_commit, config.target_root) or ""
    website_soon = None
    if website_tree and last.website_tree and website_tree != last.website_tree:
        website_soon = _changes_soon(website, last.website_tree, website_tree, "")
    source_changes = _changes(source_soon, last.source_commit)
    website_changes = (
        _changes(website_soon, last.website_tree)
        if website_soon is not None
        else _website_changes(website, last.website_tree, website_tree)
    )
    new_text, edits = _manifest_change(last, manifest_blob, config, texts)
    added = edits.added
    if len(added) > LIMIT or edits.entries > MAX_ENTRIES:
        raise Fallback("too many changed entries")
    rows, fresh = _rebuild(last.rows, edits)
    _check_targets(rows, fresh)
    _check_source_changes(rows, fresh, source_changes)
    count = _apply_website_changes(rows, fresh, website_changes, config, last.website_count)
    if added and not entries_valid(added, config):
        raise Fallback("new entries break the manifest schema")

    # Entries kept from the snapshot that need a look: to be written, or too large.
    retained = sorted((rows.website.keys() | rows.oversize.keys()) - fresh.keys())
    if len(retained) > LIMIT:
        raise Fallback("too many entries to write")
    claims: dict[int, ManifestFile] = dict(fresh)
    if retained:
        text = new_text if new_text is not None else texts.new()
        claims.update(_claims_at(text, rows, retained, config))
    sources = [c.source for c in claims.values()]
    listing = gitrepo.entries_at(
        source.repo, source.commit, sources + [config_path_for(s) for s in sources]
    )

    # Rows of new entries: source blob at the new commit, website blob in the base.
    on_site = gitrepo.entries_at(website, base_commit, [c.target for c in added])
    for i, claim in fresh.items():
        entry, found = listing.get(claim.source), on_site.get(claim.target)
        if entry is None or not entry.is_file or (found is not None and not found.is_file):
            raise Fallback("not a regular file at a source or a target")
        rows.set_blob(i, entry.blob)
        rows.set_website(i, found.blob if found is not None else ABSENT)
        if claim.size > config.max_file_size:
            rows.oversize[i] = claim.size

    plan = Plan(source, base, base_commit, website_repo=website, mode="incremental")
    verify_claims(
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
    for i in retained:
        plan.items.append(Item(claims[i], rows.blob(i), i))
        plan.sizes[rows.blob(i)] = claims[i].size
    plan.items.sort(key=lambda item: item.index)
    for item in plan.items:
        there = rows.website_of(item.index)
        if there == ABSENT:
            item.status = "new"
        elif there == item.blob:
            item.status = "unchanged"
        else:
            item.status, item.website_blob = "updated", there
    plan.website = _website_hazards(plan, website, config)
    plan.kept = count - rows.on_website()
    verify_content(plan, None, listing, config, None, progress)
    if plan.integrity:
        raise Fallback("a claim is false")
    plan.unchanged = len(rows) - sum(1 for item in plan.items if item.status != "unchanged")
    texts.cancel()
    return plan, Snapshot(source.commit, manifest_blob, website_tree, count, rows)


def _changes_soon(repo: GitRepo, old: str, new: str, prefix: str) -> gitrepo.Soon | None:
    return None if old == new else gitrepo.diff_trees_soon(repo, old, new, prefix)


def _changes(pending: gitrepo.Soon | None, old: str) -> list[gitrepo.Change]:
    if pending is None:
        return []
    changes = gitrepo.parse_diff(pending)
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
        return _changes(_changes_soon(website, old, new, ""), old)
    listing = gitrepo.tree_entries(website, new, ".")  # the first results: few
    if len(listing) > LIMIT:
        raise Fallback("too many changed paths")
    return [gitrepo.Change(e.path, e.mode, e.blob, "A") for e in listing.values()]


class Texts:
    """The new manifest's text and the last one's, read by ``git cat-file`` from the source
    repository: started early, each on its own CPU while the snapshot loads."""

    def __init__(self, source: Source, new: str, old: str) -> None:
        self._reads = {
            blob: gitrepo.read_blob_soon(source.repo, blob) for blob in dict.fromkeys((new, old))
        }
        self._new, self._old = new, old

    def new(self) -> bytes:
        return self._text(self._new, "the manifest is too large or missing")

    def old(self) -> bytes:
        return self._text(self._old, "the last manifest is no longer in the source repository")

    def _text(self, blob: str, why: str) -> bytes:
        status, data = self._reads[blob].result()
        if status or len(data) > MAX_MANIFEST:
            raise Fallback(why)
        return data

    def cancel(self) -> None:
        for reading in self._reads.values():
            reading.cancel()


def _manifest_change(
    last: Snapshot, blob: str, config: Config, texts: Texts
) -> tuple[bytes | None, Edits]:
    """The new manifest's text (None when it is the snapshot's) and how its entries changed."""
    if blob == last.manifest_blob:
        return None, unchanged(len(last.rows))
    rows = last.rows
    edits = diff(texts.old(), texts.new(), rows.sources, rows.lengths, config)
    if edits is None:
        raise Fallback("the manifest is not canonical where it changed")
    return texts.new(), edits


def _rebuild(old: Columns, edits: Edits) -> tuple[Columns, dict[int, ManifestFile]]:
    """The rows of the new manifest, and the new entries by row. Their blobs and
    website blobs are filled in once looked up."""
    rows = Columns.empty(old.width)
    fresh: dict[int, ManifestFile] = {}
    width = old.width
    marked = sorted(old.website.keys() | old.oversize.keys())
    for step in edits.steps:
        here = len(rows.sources)
        if isinstance(step, Add):
            fresh[here] = step.claim
            rows.sources.append(step.claim.source)
            rows.targets.append(step.claim.target)
            rows.blobs += bytes(width)
            rows.lengths.append(step.length)
            continue
        start, stop = step
        rows.sources += old.sources[start:stop]
        rows.targets += old.targets[start:stop]
        rows.blobs += old.blobs[start * width : stop * width]
        rows.lengths += old.lengths[start:stop]
        for row in marked[bisect_left(marked, start) : bisect_left(marked, stop)]:
            if row in old.website:
                rows.website[row - start + here] = old.website[row]
            if row in old.oversize:
                rows.oversize[row - start + here] = old.oversize[row]
    return rows, fresh


def _check_targets(rows: Columns, fresh: dict[int, ManifestFile]) -> None:
    """No second claim on a target (also in another case: on a case-insensitive file
    system the two would be one file). Sources are unique already: :func:`splice.diff`
    keeps them strictly sorted."""
    if fresh and len(set(map(str.casefold, rows.targets))) != len(rows):
        raise Fallback("a target is claimed twice")


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
            rows.set_website(i, ABSENT if change.deleted else change.blob)
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
    """Symbolic links (or files) on the way to a written file and website files whose
    path differs only in case send the plan to the full path (which names the problem).

    Returns the latest earlier run on the website for each written result (the pull
    request body compares with it), found with pathspecs git matches in C: the same
    day first, then the same month, then any day.
    """
    import os

    root = config.target_root
    writes = plan.writes
    targets = {item.target for item in writes}
    on_the_way = {t.rsplit("/", depth)[0] for t in targets for depth in (1, 2, 3)}
    on_the_way = {f for f in on_the_way if f == root or f.startswith(root + "/")}
    found = gitrepo.objects_at(website, plan.base_commit, on_the_way)
    if any(kind != "tree" for _oid, kind in found.values()):
        raise Fallback("a file or link where the results need a folder")
    for target in targets:
        parts = target.split("/")
        for depth in range(1, len(parts) + 1):
            if os.path.islink(website.root / "/".join(parts[:depth])):
                raise Fallback(f"{'/'.join(parts[:depth])} is a symbolic link on disk")
    folded = {t.casefold(): t for t in targets}
    by_row = {item.index: item for item in writes}
    keys = {row: prbody.run_key(item.claim.run_id) for row, item in by_row.items()}
    pending = {row: key for row, key in keys.items() if key is not None}
    best: dict[int, tuple[prbody.RunKey, Entry]] = {}
    checks = [f":(icase,literal){t}" for t in sorted(targets)]
    for scope in ("day", "month", "any"):
        globs = {_runs_glob(by_row[row], key, scope) for row, key in pending.items()}
        for entry in gitrepo.files_matching(website, plan.base_commit, checks + sorted(globs)):
            if entry.path.casefold() in folded and (entry.path not in targets or not entry.is_file):
                raise Fallback(f"{entry.path} is a link or differs only in case")
            folder, _, name = entry.path.rpartition("/")
            for row, mine in pending.items():
                item = by_row[row]
                ending = prbody.ending_of(item)
                if item.target.rpartition("/")[0] != folder or not name.endswith(ending):
                    continue
                key = prbody.run_key(name[: -len(ending)])
                if key is None or not key < mine or not _in_scope(key, mine, scope):
                    continue  # (a file another row's pattern found is not this row's answer)
                if row not in best or key > best[row][0]:
                    best[row] = (key, entry)
        checks = []
        pending = {row: key for row, key in pending.items() if row not in best}
        if not pending:
            break
    return {entry.path: entry for _key, entry in best.values()}


def _in_scope(key: prbody.RunKey, mine: prbody.RunKey, scope: str) -> bool:
    """Whether ``key`` is a run of the day, month or any time the search is at: the latest
    earlier run of a narrower scope beats every run outside it."""
    if scope == "day":
        return key[0] == mine[0]
    if scope == "month":
        return key[0][:6] == mine[0][:6]
    return True


def _runs_glob(item: Item, key: prbody.RunKey, scope: str) -> str:
    """A pathspec for the item's folder and file name, with the run's day, month or any."""
    folder = _glob_escape(item.target.rpartition("/")[0])
    ending = _glob_escape(prbody.ending_of(item))
    day = {"day": key[0], "month": key[0][:6] + "[0-9][0-9]", "any": "*"}[scope]
    return f":(glob){folder}/*_{day}_*{ending}"


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def snapshot_of(plan: Plan, manifest: bytes, manifest_blob: str, config: Config) -> Snapshot | None:
    """The snapshot of a verified full plan, when its manifest is canonical text."""
    from array import array

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
    width = len(plan.items[0].blob) // 2
    rows = Columns(
        sources,
        [c.target for c in claims],
        bytearray(b"".join(bytes.fromhex(item.blob) for item in plan.items)),
        array("I", [len(b.encode("utf-8", "surrogateescape")) for b in blocks]),
        {},
        {i: c.size for i, c in enumerate(claims) if c.size > config.max_file_size},
        width,
    )
    for i, item in enumerate(plan.items):
        found = site.get(item.target)
        if found is None:
            rows.website[i] = ABSENT
        elif found.blob != item.blob:
            rows.website[i] = found.blob
    return Snapshot(plan.source.commit, manifest_blob, tree, len(site), rows)
