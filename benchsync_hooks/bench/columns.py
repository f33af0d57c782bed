"""A manifest exactly as rendered, read column by column in two passes of the C regex engine.

The first pass matches the whole list of entries against one pattern that holds the
convention itself: each entry's source follows ``<root>/<backend>/<model>/<run_id>/
<name>_leaderboard.json`` and, through back-references, its target, backend, model and
run_id are the ones that source gives. The second pass takes the columns the checks
need. No object is made per entry, so a manifest of 100,000 entries costs a fraction of
an entry-by-entry read; any text this does not prove is read entry by entry, which
names what is wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..check.convention import run_date
from ..config import Config
from .manifest import MAX_ENTRIES

#: More gaps than this, and the manifest is read entry by entry at once.
MAX_GAPS = 1_000
#: The text after the last entry of a rendered manifest.
TAIL = "\n  ]\n}\n"


def _entry(source_root: str, target_root: str) -> str:
    """One rendered entry and what follows it, its names tied to its source through
    back-references (the names of convention.py), its columns captured."""
    return (
        r"    \{\n"
        r'      "source": "(?P<source>' + re.escape(source_root) + r"/"
        r"(?P<b>[a-z0-9][a-z0-9_-]*)/(?P<m>[A-Za-z0-9][A-Za-z0-9._-]*)/"
        r"(?P<r>[a-z0-9][a-z0-9_-]*?_(?P<date>[0-9]{8})_(?!000)[0-9]{3})/"
        r'(?P<n>[a-z0-9][a-z0-9_-]*)_leaderboard\.json)",\n'
        r'      "target": "(?P<target>' + re.escape(target_root) + r"/"
        r'(?P=b)/(?P=m)/(?P=r)_(?P=n)_leaderboard\.json)",\n'
        r'      "sha256": "[0-9a-f]{64}",\n'
        r'      "size": (?P<size>[1-9][0-9]{0,9}),\n'
        r'      "blob": "(?P<blob>[0-9a-f]{40})",\n'
        r'      "config_blob": (?:"(?P<config_blob>[0-9a-f]{40})"|null),\n'
        r'      "target_blob": "(?P<target_blob>[0-9a-f]{40})",\n'
        r'      "entry_id": "(?P<entry_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
        r'[0-9a-f]{12})",\n'
        r'      "backend": "(?P=b)",\n'
        r'      "model": "(?P=m)",\n'
        r'      "run_id": "(?P=r)"\n'
        r"    \}(?:,\n(?=    \{)|\Z)"
    )


@lru_cache(maxsize=4)
def _pattern(source_root: str, target_root: str) -> re.Pattern[str]:
    return re.compile(_entry(source_root, target_root))


class Gap(NamedTuple):
    """Text between proven entries: entries the pattern did not prove (or not entries)."""

    rows_before: int  # proven entries before it
    start: int
    end: int  # its last entry's end (the separator after it left out)


class Columns(NamedTuple):
    """The values of every entry, one tuple per key, in the manifest's order."""

    source: tuple[str, ...]
    target: tuple[str, ...]
    size: tuple[str, ...]
    blob: tuple[str, ...]
    config_blob: tuple[str | None, ...]  # None where the entry's config_blob is null
    target_blob: tuple[str, ...]
    entry_id: tuple[str, ...]
    date: tuple[str, ...]  # YYYYMMDD of each run_id


def columns(text: str, start: int, *, config: Config) -> tuple[Columns, tuple[Gap, ...]] | None:
    """The columns of the proven entries from ``start`` (just after ``"files": [\\n``) of
    a manifest rendered for ``config``'s roots, and the gaps between them: a proven entry
    follows the convention; proven entries are listed once, in source order, with targets
    unique in any case. None when that does not hold or nothing is proven (the caller
    then reads entry by entry)."""
    end = len(text) - len(TAIL)
    if end <= start or not text.endswith(TAIL) or text.count("    {\n", start) > MAX_ENTRIES:
        return None
    rows: list[tuple[str, ...]] = []
    gaps: list[Gap] = []
    at = start
    for found in _pattern(config.source_root, config.target_root).finditer(text, start, end):
        if found.start() != at:
            gaps.append(Gap(len(rows), at, found.start() - 2))  # (without its ",\n")
        rows.append(found.group(*Columns._fields))
        at = found.end()
    if at != end:
        gaps.append(Gap(len(rows), at, end))
    if not rows or len(gaps) > MAX_GAPS:
        return None
    cols = Columns(*zip(*rows, strict=True))
    del rows
    sources = cols.source
    if list(sources) != sorted(set(sources)):
        return None  # out of order or listed twice
    if _case_clash(cols.target):
        return None
    return cols, tuple(gaps)


def off_convention(cols: Columns, *, config: Config) -> list[int]:
    """Rows the pattern cannot judge: a run date that is no day, a backend not allowed."""
    bad = {day for day in set(cols.date) if run_date(day) is None}
    rows = [row for row, day in enumerate(cols.date) if day in bad] if bad else []
    if config.backends:
        skip, allowed = len(config.source_root) + 1, set(config.backends)
        rows += [
            row
            for row, source in enumerate(cols.source)
            if source[skip:].partition("/")[0] not in allowed
        ]
    return sorted(set(rows))


def _case_clash(targets: tuple[str, ...]) -> bool:
    """Whether two targets (ASCII, all different) differ only in case; only those with
    an upper-case letter can, and they are few."""
    upper = [t for t in targets if not t.islower()]
    if not upper:
        return False
    lowered = [t.lower() for t in upper]
    return len(set(lowered)) != len(lowered) or not set(targets).isdisjoint(lowered)
