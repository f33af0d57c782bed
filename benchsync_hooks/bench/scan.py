"""The results of the git index: listed once, remembered through the manifest, read when new.

The manifest in the index is the only memory: an entry of it is taken as it is
while the index still holds the same blob at its source, the same ``config.json``
blob beside it, and the manifest was made under the same rules. Every other result
is read from its blob and checked here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..check import jsondoc
from ..check.content import (
    MAX_CONFIG_BYTES,
    Verdict,
    config_path_for,
    oversized_config,
    read_facts,
    run_config_from_bytes,
    verdict_of,
)
from ..check.convention import Locate, parse_source, run_date
from ..check.facts import RunConfig
from ..check.selection import selected_of
from ..check.uniqueness import Placed, uniqueness
from ..config import Config
from ..errors import GitError
from ..files import too_big
from ..git import GitRepo
from ..git.listing import FILE_MODES, Entry, Listing, index_listing
from ..git.objects import object_info, read_blob, read_blobs
from ..report import Problem
from .manifest import MAX_MANIFEST_BYTES, head
from .pattern import TAIL, entry_pattern


class IndexView(NamedTuple):
    """What the index holds under the source root: results, config.json files, the manifest."""

    boards: tuple[Entry, ...]
    listing: Listing  # every index entry under the source root (and the manifest)
    manifest: Entry | None

    def config_blob(self, source: str) -> str | None:
        """The blob of the ``config.json`` beside ``source``, when that is a regular file."""
        meta = self.listing.meta(config_path_for(source))
        if meta is None or not meta.startswith(FILE_MODES):
            return None
        return meta.split()[2]


def index_view(repo: GitRepo, config: Config) -> IndexView:
    listing = index_listing(repo, config.source_root)
    if config.manifest not in listing and not config.manifest.startswith(config.source_root + "/"):
        outside = index_listing(repo, config.manifest)
        for path in outside:
            listing.add(outside[path])
    boards = tuple(listing[path] for path in selected_of(listing.keys(), config))
    return IndexView(boards, listing, listing.get(config.manifest))


class Remembered(NamedTuple):
    """An entry of the manifest in the index that still holds: its target, id and text."""

    target: str
    entry_id: str
    text: str


def staged_manifest(repo: GitRepo, view: IndexView) -> bytes | None:
    """The manifest in the index (what the next commit holds), or None."""
    if view.manifest is None or not view.manifest.is_file:
        return None
    try:
        return next(read_blobs(repo, [view.manifest.blob], max_size=MAX_MANIFEST_BYTES))[1]
    except GitError:
        return None


def remembered(
    view: IndexView, config: Config, *, rules: str, staged: bytes | None
) -> dict[str, Remembered]:
    """The entries of the manifest in the index (``staged``) that still hold, by source.

    The manifest must be rendered by this version for this configuration and these
    rules (else nothing is remembered). An entry holds while it is in the rendered form
    with the convention's names (one pattern, :mod:`.pattern`), its run date is a day
    and its backend allowed, and the index has the same blob at its source and the
    same ``config.json`` blob beside it. Anything else is read again.
    """
    if staged is None or not config.enabled("layout-single-result"):
        return {}  # (an array file may carry several entry_ids; the manifest records one)
    if not staged.isascii():
        return {}  # no usable memory: everything is read
    text = staged.decode("ascii")
    start = head(config=config, rules=rules) + '  "files": [\n'
    if not text.startswith(start) or not text.endswith(TAIL):
        return {}
    pattern = entry_pattern(config.source_root, config.target_root)
    names = ("source", "blob", "config_blob", "date", "target", "entry_id")
    captured = tuple(pattern.groupindex[name] for name in names)
    boards = {e.path: e for e in view.boards}
    skip, allowed = len(config.source_root) + 1, frozenset(config.backends)
    kept: dict[str, Remembered] = {}
    for found in pattern.finditer(text, len(start), len(text) - len(TAIL)):
        source, blob, config_blob, day, target, entry_id = found.group(*captured)
        entry = boards.get(source)
        if entry is None or entry.blob != blob or not entry.is_file:
            continue
        if view.config_blob(source) != config_blob or run_date(day) is None:
            continue
        if allowed and source[skip:].partition("/")[0] not in allowed:
            continue
        kept[source] = Remembered(target, entry_id, found["entry"])
    return kept


def _run_configs(repo: GitRepo, view: IndexView, sources: Iterable[str]) -> dict[str, RunConfig]:
    """The config.json beside each of ``sources`` that has one, by config path."""
    by_blob: dict[str, list[str]] = {}
    for path, source in {config_path_for(s): s for s in sources}.items():
        blob = view.config_blob(source)
        if blob is not None:
            by_blob.setdefault(blob, []).append(path)
    found: dict[str, RunConfig] = {}
    for blob, data in read_blobs(repo, by_blob, max_size=MAX_CONFIG_BYTES):
        for path in by_blob[blob]:
            found[path] = run_config_from_bytes(path, data) or oversized_config(path)
    return found


def check_entries(
    repo: GitRepo,
    entries: Iterable[Entry],
    view: IndexView,
    *,
    config: Config,
    schema_text: str,
    positions: bool = True,
) -> list[Verdict]:
    """Every per-file check of these index entries, each blob read once."""
    items = list(entries)
    files = [e for e in items if e.is_file]
    run_configs = _run_configs(repo, view, (e.path for e in files))
    data = dict(read_blobs(repo, (e.blob for e in files), max_size=config.max_file_size))
    verdicts: list[Verdict] = []
    for entry in items:
        if not entry.is_file:
            what = "a symbolic link" if entry.is_symlink else f"not a regular file ({entry.mode})"
            problem = Problem(
                entry.path, 0, 0, "layout-symlink", f"is {what}; commit the result file itself"
            )
            verdicts.append(Verdict(entry.path, entry.blob, None, None, (problem,)))
            continue
        content = data[entry.blob]
        big = None
        if content is None:
            from ..git.objects import object_info

            info = object_info(repo, entry.blob)
            big = too_big(entry.path, info[2] if info else 0, config.max_file_size)
        verdicts.append(
            verdict_of(
                entry.path,
                entry.blob,
                content,
                run_config=run_configs.get(config_path_for(entry.path)),
                config=config,
                schema_text=schema_text,
                too_big=big,
                positions=positions,
            )
        )
    return verdicts


#: A source path as the manifest renders it (ASCII paths: no escapes).
_SOURCE = re.compile(r'^      "source": "([^"\\\n]*)",$', re.MULTILINE)


def head_manifest(repo: GitRepo, config: Config) -> str | None:
    """The text of HEAD's manifest (None before the first commit, or when it cannot be
    read): the results already published."""
    try:  # (the persistent cat-file: no git process on the layout hook's path)
        found = object_info(repo, f"HEAD:{config.manifest}")
        blob = found[0] if found is not None and found[1] == "blob" else None
        data = read_blob(repo, blob, max_size=MAX_MANIFEST_BYTES) if blob else None
    except GitError:
        return None
    return None if data is None else data.decode("utf-8", "replace")


def published(repo: GitRepo, config: Config) -> frozenset[str]:
    """The sources the manifest of HEAD lists (none when there is none)."""
    text = head_manifest(repo, config)
    return frozenset() if text is None else frozenset(_SOURCE.findall(text))


def conflicts_of(
    placed: list[Placed], published_now: Callable[[], frozenset[str]]
) -> list[Problem]:
    """The repo-wide clashes (:func:`..check.uniqueness.uniqueness`), where a result already
    published wins: a clash between a published result and a new one is the new one's
    alone, so adding a bad copy never takes the original out of the manifest. Clashes among
    new results, or among published ones, name each of them. ``published_now`` is asked
    only when there is a clash."""
    found = uniqueness(placed)
    if not found:
        return found
    old = published_now() & {p.source for p in placed}
    new = {p.source for p in placed} - old
    if not old or not new:
        return found
    return uniqueness(placed, focus=new) + uniqueness([p for p in placed if p.source in old])


def placed_of(verdicts: Iterable[Verdict], config: Config) -> list[Placed]:
    """What the repo-wide rules need of checked files that follow the convention."""
    return [
        Placed(v.source, v.result.target(config.target_root), v.facts.entry_ids)
        for v in verdicts
        if v.result is not None and v.facts is not None
    ]


def placed_of_index(
    repo: GitRepo, view: IndexView, config: Config, *, rules: str, skip: set[str]
) -> list[Placed]:
    """Targets and entry ids of every result in the index except ``skip``: from the
    manifest where it still holds, else from the blob (strict JSON only)."""
    memory = remembered(view, config, rules=rules, staged=staged_manifest(repo, view))
    placed = [
        Placed(source, f.target, (f.entry_id,))
        for source, f in memory.items()
        if source not in skip
    ]
    unknown = [e for e in view.boards if e.is_file and e.path not in skip and e.path not in memory]
    blobs = dict(read_blobs(repo, (e.blob for e in unknown), max_size=config.max_file_size))
    for entry in unknown:
        content = blobs[entry.blob]
        result, _problems = parse_source(entry.path, config)
        if content is None or result is None:
            continue
        _doc, facts = read_facts(content, entry.path, config)
        if facts is not None:
            placed.append(Placed(entry.path, result.target(config.target_root), facts.entry_ids))
    return placed


def index_locator(repo: GitRepo, view: IndexView, config: Config) -> Callable[[str], Locate | None]:
    """Positions in the index version of a result, read when first asked for."""
    boards = {e.path: e for e in view.boards}

    def locate(path: str) -> Locate | None:
        entry = boards.get(path)
        if entry is None or not entry.is_file:
            return None
        data = next(read_blobs(repo, [entry.blob], max_size=config.max_file_size))[1]
        doc = jsondoc.parse(data, path, max_depth=config.max_depth)[0] if data else None
        return doc.position if doc is not None else None

    return locate
