"""The common case in bulk: every structural claim of a rendered manifest holds.

:mod:`..bench.columns` proves the text's form and the convention in two regex passes;
this module checks each entry's source blob, size and ``config.json`` blob against the
source listing, then sorts the entries into unchanged and to-be-written by the website's
blob ids, in plain loops over the columns. Only the entries to be written become
:class:`.verify.Claim` values. When anything does not hold it answers None and the
planner reads the manifest entry by entry (:mod:`.verify`), which names the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..bench.columns import Columns, columns
from ..bench.manifest import BLOCK, ManifestFile
from ..bench.reading import rendered_start
from ..config import Config
from ..git.listing import FILE_MODES, Entry
from .verify import Claim


@dataclass(frozen=True)
class Sorted:
    """A manifest's entries against the website: what to write, and what is there already."""

    writes: list[tuple[Claim, str | None]]  # (claim, the website's blob it replaces)
    unchanged: int
    known: dict[str, str]  # website file → entry_id, for each unchanged entry's target
    wanted: frozenset[str]  # every entry's target


def read_columns(text: str, *, config: Config) -> Columns | None:
    """The columns of a manifest rendered for ``config`` (None for any other text)."""
    start = rendered_start(text, config=config)
    return None if start is None else columns(text, start, config=config)


def sources_hold(cols: Columns, listing: Mapping[str, Entry]) -> bool:
    """Whether each source is a regular file of the listing with the claimed blob and
    size, and has the claimed ``config.json`` blob beside it (or none)."""
    get = listing.get
    for source, size, blob, config_blob in zip(
        cols.source, cols.size, cols.blob, cols.config_blob, strict=True
    ):
        entry = get(source)
        if entry is None or entry[2] != blob or entry[1] not in FILE_MODES:
            return False
        if entry[3] >= 0 and entry[3] != int(size):
            return False
        beside = get(source[: source.rfind("/") + 1] + "config.json")
        actual = beside[2] if beside is not None and beside[1] in FILE_MODES else None
        if actual != config_blob:
            return False
    return True


def sort_entries(
    cols: Columns, text: str, *, listing: Mapping[str, Entry], site: Mapping[str, Entry]
) -> Sorted:
    """New and updated entries (as claims) and the count of unchanged ones: a website
    file holding the source's bytes or their canonical form is unchanged."""
    get = site.get
    chosen: list[tuple[int, str | None]] = []
    for index, (target, blob, target_blob) in enumerate(
        zip(cols.target, cols.blob, cols.target_blob, strict=True)
    ):
        found = get(target)
        if found is None:
            chosen.append((index, None))
        elif found[2] != blob and found[2] != target_blob:
            chosen.append((index, found[2]))
    known = dict(zip(cols.target, cols.entry_id, strict=True))
    writes: list[tuple[Claim, str | None]] = []
    at = 0
    for index, old in chosen:
        source = cols.source[index]
        del known[cols.target[index]]
        at = text.find(f'      "source": "{source}",\n', at) - len("    {\n")
        match = BLOCK.match(text, at)
        if match is None:  # the first pass proved this block's form
            raise AssertionError(f"no rendered entry for {source}")
        values = match.group(*ManifestFile._fields)
        item = ManifestFile._make((*values[:3], int(values[3]), *values[4:]))
        writes.append((Claim(index, item, listing[source]), old))
        at = match.end()
    return Sorted(writes, len(cols.target) - len(chosen), known, frozenset(cols.target))
