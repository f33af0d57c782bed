"""The common case in bulk: the structural claims of a rendered manifest, entry columns
against the two listings.

:mod:`..bench.columns` proves the text's form and the convention in one regex pass;
this module checks each proven entry's source blob, size and ``config.json`` blob
against the source listing, then sorts the entries into unchanged and to-be-written by
the website's blob ids, in plain loops over the columns. Only entries to be written, or
whose claims are false, become :class:`~..bench.manifest.ManifestFile` values. An
entry the pattern did not prove is checked alone (:func:`.verify.entry_problem`); when
that cannot be exact (a duplicate, an entry not in the rendered form, or one that holds
after all), the answer is None and the planner reads the manifest entry by entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..bench.columns import Columns, Gap, columns, off_convention
from ..bench.manifest import BLOCK, ManifestFile
from ..bench.reading import ManifestText, rendered_start
from ..config import Config
from ..git.listing import FILE_MODES, Entry, Listing
from ..report import Problem
from .verify import Claim, entry_problem


@dataclass(frozen=True)
class Sorted:
    """A manifest's entries against the website: what to write, and what is there already."""

    writes: list[tuple[Claim, str | None]]  # (claim, the website's blob it replaces)
    unchanged: int
    known: dict[str, str]  # website file → entry_id, for each unchanged entry's target
    wanted: frozenset[str]  # every entry's target


@dataclass(frozen=True)
class Read:
    """A rendered manifest's text, the columns of its proven entries and the gaps."""

    text: str
    cols: Columns
    gaps: tuple[Gap, ...]


def read_columns(text: str, *, config: Config) -> Read | None:
    """The proven columns of a manifest rendered for ``config`` (None for any other text)."""
    start = rendered_start(text, config=config)
    found = None if start is None else columns(text, start, config=config)
    return None if found is None else Read(text, *found)


def failing_rows(cols: Columns, listing: Listing, *, config: Config) -> list[int]:
    """The rows off the convention (:func:`..bench.columns.off_convention`) or whose
    source is not a regular file of the listing with the claimed blob and size, or has
    another ``config.json`` blob beside it than claimed (or none)."""
    misses = _listing_misses(cols, listing)
    off = off_convention(cols, config=config)
    return sorted({*misses, *off}) if off else misses


def _listing_misses(cols: Columns, listing: Listing) -> list[int]:
    fields = listing.fields  # [mode, type, id, size]
    failing = []
    for row, (source, size, blob, config_blob) in enumerate(
        zip(cols.source, cols.size, cols.blob, cols.config_blob, strict=True)
    ):
        found = fields(source)
        if found is None or found[2] != blob or found[0] not in FILE_MODES:
            failing.append(row)
            continue
        if len(found) > 3 and found[3] != size and found[3] != "-":
            failing.append(row)
            continue
        beside = fields(source[: source.rfind("/") + 1] + "config.json")
        actual = beside[2] if beside is not None and beside[0] in FILE_MODES else None
        if actual != config_blob:
            failing.append(row)
    return failing


def _entry(text: str, at: int) -> tuple[ManifestFile, int] | None:
    """The rendered entry at ``at`` and where it ends (None: no entry in rendered form)."""
    match = BLOCK.match(text, at)
    if match is None:
        return None
    values = match.group(*ManifestFile._fields)
    return ManifestFile._make((*values[:3], int(values[3]), *values[4:])), match.end()


def _rows(read: Read, rows: list[int]) -> Iterator[tuple[int, ManifestFile]]:
    """(index in the manifest, entry) of these proven rows, in order."""
    at = 0
    for row in rows:
        source = read.cols.source[row]
        at = read.text.find(f'      "source": "{source}",\n', at) - len("    {\n")
        found = _entry(read.text, at)
        if found is None:  # the pattern proved this entry's form
            raise AssertionError(f"no rendered entry for {source}")
        item, at = found
        yield row + sum(1 for _ in _gap_entries(read, before=row)), item


def _gap_entries(read: Read, *, before: int) -> Iterator[ManifestFile]:
    """The entries of the gaps before proven row ``before`` (one at a time)."""
    for gap in read.gaps:
        if gap.rows_before > before:
            return
        yield from _in_gap(read.text, gap)


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


def false_claims(
    read: Read,
    failing: list[int],
    *,
    listing: Mapping[str, Entry],
    config: Config,
    short: str,
    display: str,
) -> list[Problem] | None:
    """The problems of the entries in gaps and of the ``failing`` rows, each named as the
    entry-by-entry check names it; None when only that check can name them exactly."""
    try:
        gap_items = list(_gap_items(read))
    except _NotRendered:
        return None
    sources = [item.source for _index, item in gap_items]
    folded = [item.target.casefold() for _index, item in gap_items]
    if len(set(sources)) != len(sources) or len(set(folded)) != len(folded):
        return None  # listed twice: the entry-by-entry check says which comes first
    if gap_items and (
        not set(read.cols.source).isdisjoint(sources)
        or not {t.casefold() for t in read.cols.target}.isdisjoint(folded)
    ):
        return None
    found = ManifestText(display, b"", text=read.text)
    problems = []
    for index, item in sorted([*gap_items, *_rows(read, failing)]):
        problem = entry_problem(item, index, listing, config=config, short=short, text=found)
        if problem is None:
            return None  # it holds after all: the entry-by-entry read decides
        problems.append(problem)
    return problems


def _gap_items(read: Read) -> Iterator[tuple[int, ManifestFile]]:
    seen = 0
    for gap in read.gaps:
        for item in _in_gap(read.text, gap):
            yield gap.rows_before + seen, item
            seen += 1


def sort_entries(read: Read, *, listing: Listing, site: Listing) -> Sorted:
    """New and updated entries (as claims) and the count of unchanged ones, for a
    manifest whose every entry is proven and holds: a website file holding the
    source's bytes or their canonical form is unchanged."""
    cols = read.cols
    fields = site.fields  # [mode, type, id]
    chosen: dict[int, str | None] = {}
    for index, (target, blob, target_blob) in enumerate(
        zip(cols.target, cols.blob, cols.target_blob, strict=True)
    ):
        found = fields(target)
        if found is None:
            chosen[index] = None
        elif found[2] != blob and found[2] != target_blob:
            chosen[index] = found[2]
    known = dict(zip(cols.target, cols.entry_id, strict=True))
    writes: list[tuple[Claim, str | None]] = []
    for index, item in _rows(read, list(chosen)):
        del known[item.target]
        writes.append((Claim(index, item, listing[item.source]), chosen[index]))
    return Sorted(writes, len(cols.target) - len(chosen), known, frozenset(cols.target))
