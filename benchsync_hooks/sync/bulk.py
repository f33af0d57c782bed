"""The common case in one sweep: a rendered manifest checked against the two listings.

:mod:`..bench.pattern` proves each entry's form and the convention; the same loop checks
the entry's source blob, size and ``config.json`` blob against the source listing and
sorts it into unchanged or to-be-written by the website's blob ids. Nothing is kept per
entry: only the entries to be written, or whose claims are false, become
:class:`~..bench.manifest.ManifestFile` values afterwards. An entry the pattern did not
prove is checked alone (:func:`.verify.entry_problem`); when that cannot be exact (an
entry listed twice, an entry not in the rendered form, or one that holds after all), the
answer is None and the planner reads the manifest entry by entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..bench.manifest import BLOCK, ManifestFile
from ..bench.pattern import CAPTURED, MAX_GAPS, TAIL, Gap, entry_pattern
from ..bench.reading import ManifestText, rendered_start
from ..check.convention import run_date
from ..config import Config
from ..git.listing import FILE_MODES, Listing
from ..report import Problem
from .verify import Claim, entry_problem


@dataclass(frozen=True)
class Swept:
    """One sweep of a rendered manifest: its proven entries, the gaps between them, the
    entries whose claims do not hold and those to be written, by row (proven entry)."""

    text: str
    rows: int
    gaps: tuple[Gap, ...]
    failing: tuple[tuple[int, str], ...]  # (row, source)
    chosen: tuple[tuple[int, str, str | None], ...]  # (row, source, website blob replaced)
    undescribed: frozenset[str]  # website files no proven entry describes

    @property
    def holds(self) -> bool:
        """Every entry is proven and every claim holds."""
        return not self.gaps and not self.failing


def sweep(text: str, *, listing: Listing, site: Listing, config: Config) -> Swept | None:
    """Check a manifest rendered for ``config`` against the source ``listing`` and the
    website's ``site`` in one pass; None when it is not in the rendered form, lists an
    entry twice or out of source order, or has two targets that differ only in case."""
    start = rendered_start(text, config=config)
    end = len(text) - len(TAIL)
    if start is None or end <= start or not text.endswith(TAIL):
        return None
    pattern = entry_pattern(config.source_root, config.target_root)
    captured = tuple(pattern.groupindex[name] for name in CAPTURED)
    meta_of, site_meta = listing.meta, site.meta  # what git says of a path
    undescribed = set(site.keys())
    folded: set[int] = set()  # hashes of lower-cased targets (a collision: read one by one)
    day_ok: dict[str, bool] = {}
    skip, allowed = len(config.source_root) + 1, frozenset(config.backends)
    gaps: list[Gap] = []
    failing: list[tuple[int, str]] = []
    chosen: list[tuple[int, str, str | None]] = []
    at, row, last = start, 0, ""
    for found in pattern.finditer(text, start, end):
        if found.start() != at:
            if not text.startswith(",\n", found.start() - 2):
                return None  # not a separator before this entry: not the rendered form
            gaps.append(Gap(row, at, found.start() - 2))  # (without its ",\n")
        at = found.end()
        source, target, size, blob, config_blob, target_blob, day = found.group(*captured)
        if source <= last:
            return None  # listed twice or out of order
        last = source
        key = hash(target if target.islower() else target.lower())
        if key in folded:
            return None
        folded.add(key)
        ok = day_ok.get(day)
        if ok is None:
            ok = day_ok[day] = run_date(day) is not None
        beside = meta_of(source[: source.rfind("/") + 1] + "config.json")
        as_git_says = meta_of(source) == f"{_FILE}{blob} {size}" and (
            beside is None
            if config_blob is None
            else beside is not None and beside.startswith(f"{_FILE}{config_blob} ")
        )
        holds = as_git_says or _holds(listing, source, (size, blob, config_blob))
        if not holds or not ok or (allowed and source[skip:].partition("/")[0] not in allowed):
            failing.append((row, source))
        there = site_meta(target)  # "mode type id"
        if there is None:
            chosen.append((row, source, None))
        else:
            undescribed.discard(target)
            if not there.startswith(_FILE_MODES) or (
                not there.endswith(blob) and not there.endswith(target_blob)
            ):  # (a link or a submodule holding those bytes is not the result file)
                chosen.append((row, source, there.split()[2]))
        row += 1
    if at != end:
        gaps.append(Gap(row, at, end))
    if not row or len(gaps) > MAX_GAPS:
        return None
    return Swept(text, row, tuple(gaps), tuple(failing), tuple(chosen), frozenset(undescribed))


#: What the website needs of a rendered entry to know whether it will be written.
_TARGET_TO_ID = re.compile(
    r'"target": "([^"\n]*)",\n[^\n]*\n[^\n]*\n      "blob": "([0-9a-f]{40})",\n'
    r'[^\n]*\n      "target_blob": "([0-9a-f]{40})",\n      "entry_id": "([^"\n]*)"'
)


def likely_new_ids(text: str | None, *, site: Listing) -> list[str]:
    """The entry_ids the manifest claims for the entries the website lacks or holds other
    bytes for: needles for the search of who holds them, started before the sweep (a
    guess, never a verdict: the planner searches again if the ids of what it writes are
    not all among them)."""
    if text is None:
        return []
    site_meta = site.meta
    found = []
    for match in _TARGET_TO_ID.finditer(text):  # (one match at a time: no list of them all)
        target, blob, target_blob, entry_id = match.groups()
        there = site_meta(target)
        if there is None or not (there.endswith(blob) or there.endswith(target_blob)):
            found.append(entry_id)
    return found


#: How git's listing starts the line of a regular file (of either mode).
_FILE_MODES = ("100644 ", "100755 ")
#: How git's listing starts a regular file's line.
_FILE = "100644 blob "


def _holds(listing: Listing, source: str, claims: tuple[str, str, str | None]) -> bool:
    """The claims of one entry on its source (a file of another mode, a listing without
    sizes, a config.json that is no regular file), field by field."""
    size, blob, config_blob = claims
    found = listing.fields(source)  # [mode, type, id, size]
    if found is None or found[2] != blob or found[0] not in FILE_MODES:
        return False
    if len(found) > 3 and found[3] != size and found[3] != "-":
        return False
    beside = listing.fields(source[: source.rfind("/") + 1] + "config.json")
    return (beside[2] if beside is not None and beside[0] in FILE_MODES else None) == config_blob


def _entry(text: str, at: int) -> tuple[ManifestFile, int] | None:
    """The rendered entry at ``at`` and where it ends (None: no entry in rendered form)."""
    match = BLOCK.match(text, at)
    if match is None:
        return None
    values = match.group(*ManifestFile._fields)
    return ManifestFile._make((*values[:3], int(values[3]), *values[4:])), match.end()


def _rows(swept: Swept, rows: Iterable[tuple[int, str]]) -> Iterator[tuple[int, ManifestFile]]:
    """(index in the manifest, entry) of these proven (row, source) pairs, in row order."""
    at = 0
    for row, source in rows:
        at = swept.text.find(f'      "source": "{source}",\n', at) - len("    {\n")
        found = _entry(swept.text, at)
        if found is None:  # the pattern proved this entry's form
            raise AssertionError(f"no rendered entry for {source}")
        item, at = found
        yield row + sum(1 for _ in _gap_entries(swept, before=row)), item


def _gap_entries(swept: Swept, *, before: int) -> Iterator[ManifestFile]:
    """The entries of the gaps before proven row ``before``."""
    for gap in swept.gaps:
        if gap.rows_before > before:
            return
        yield from _in_gap(swept.text, gap)


def _in_gap(text: str, gap: Gap) -> Iterator[ManifestFile]:
    at = gap.start
    while True:
        found = _entry(text, at)
        if found is None or found[1] > gap.end or _odd_path(text[at : found[1]]):
            raise _NotRendered
        yield found[0]
        at = found[1]
        if at == gap.end:
            return
        if not text.startswith(",\n", at):
            raise _NotRendered
        at += 2


def _odd_path(entry: str) -> bool:
    """A path with a dot segment or a leading slash (left to the manifest's JSON Schema,
    as the entry-by-entry read does)."""
    return "/." in entry or '": "/' in entry or '": ".' in entry


class _NotRendered(Exception):
    """A gap holds text that is not a sequence of rendered entries."""


def _gap_items(swept: Swept) -> Iterator[tuple[int, ManifestFile]]:
    seen = 0
    for gap in swept.gaps:
        for item in _in_gap(swept.text, gap):
            yield gap.rows_before + seen, item
            seen += 1


def false_claims(
    swept: Swept, *, listing: Listing, config: Config, short: str, display: str
) -> list[Problem] | None:
    """The problems of the entries in gaps and of the failing rows, each named as the
    entry-by-entry check names it; None when only that check can name them exactly."""
    try:
        gap_items = list(_gap_items(swept))
    except _NotRendered:
        return None
    if gap_items and _listed_twice(swept, [item for _index, item in gap_items]):
        return None  # the entry-by-entry check says which one comes first
    found = ManifestText(display, b"", text=swept.text)
    problems = []
    for index, item in sorted([*gap_items, *_rows(swept, swept.failing)]):
        problem = entry_problem(item, index, listing, config=config, short=short, text=found)
        if problem is None:
            return None  # it holds after all: the entry-by-entry read decides
        problems.append(problem)
    return problems


def _listed_twice(swept: Swept, items: list[ManifestFile]) -> bool:
    """Whether an entry of a gap shares its source, or its target in any case, with
    another entry (rendered paths are ASCII: lower case is their case-folded form)."""
    sources = {item.source for item in items}
    targets = {item.target.lower() for item in items}
    if len(sources) != len(items) or len(targets) != len(items):
        return True
    text = swept.text
    if any(text.count(f'      "source": "{source}",\n') > 1 for source in sources):
        return True
    lowered = text.lower()
    return any(lowered.count(f'      "target": "{target}",\n') > 1 for target in targets)


@dataclass(frozen=True)
class Sorted:
    """A manifest's entries against the website: what to write, and what is there already."""

    writes: list[tuple[Claim, str | None]]  # (claim, the website's blob it replaces)
    unchanged: int
    kept: int  # website files no entry describes


def sort_entries(swept: Swept, *, listing: Listing) -> Sorted:
    """New and updated entries as claims, for a manifest whose every claim holds: a
    website file holding the source's bytes or their canonical form is unchanged."""
    rows = [(row, source) for row, source, _old in swept.chosen]
    writes = [
        (Claim(index, item, listing[item.source]), old)
        for (index, item), (_row, _source, old) in zip(
            _rows(swept, rows), swept.chosen, strict=True
        )
    ]
    return Sorted(writes, swept.rows - len(writes), len(swept.undescribed))
