"""One pattern for an entry of a manifest exactly as rendered, with the convention in it.

An entry's source follows ``<root>/<backend>/<model>/<run_id>/<name>_leaderboard.json``
and, through back-references, its target, backend, model and run_id are the ones that
source gives; every other value has the form :func:`.manifest.block` writes. One pass of
the C regex engine over a manifest of 100,000 entries proves all that; the text
between two proven entries is a :class:`Gap`, read entry by entry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

#: More gaps than this, and the manifest is read entry by entry at once.
MAX_GAPS = 1_000
#: The text after the last entry of a rendered manifest.
TAIL = "\n  ]\n}\n"


def _entry(source_root: str, target_root: str) -> str:
    """One rendered entry and what follows it, its names tied to its source through
    back-references (the names of convention.py), its columns captured."""
    return (
        r"(?P<entry>    \{\n"
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
        r"    \})(?:,\n(?=    \{)|\Z)"
    )


@lru_cache(maxsize=4)
def entry_pattern(source_root: str, target_root: str) -> re.Pattern[str]:
    """The pattern of one proven entry (and the separator after it) for these roots."""
    return re.compile(_entry(source_root, target_root))


#: The values :func:`entry_pattern` captures, in this order.
CAPTURED = ("source", "target", "size", "blob", "config_blob", "target_blob", "date")


class Gap(NamedTuple):
    """Text between proven entries: entries the pattern did not prove (or not entries)."""

    rows_before: int  # proven entries before it
    start: int
    end: int  # its last entry's end (the separator after it left out)
