"""Published results that moved: a result whose entry_id HEAD's manifest lists at another
target, its old source gone from the index (a ``git mv`` of its run folder, say).

The website never deletes a synced result, so the old copy stays there and the moved one
would clash with it (``entry-id-unique`` at ``apply``): what passes the hooks must pass the
website, so the move is stopped here, with the two ways out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from ..check.uniqueness import Placed
from ..report import Problem

#: Beyond this many entry_ids, one pass over the manifest instead of a search for each.
_SEARCHED_ONE_BY_ONE = 8
_ENTRY_ID = re.compile(r'"entry_id": "([^"\\\n]*)"')


def moved_results(
    placed: Iterable[Placed], *, published: str | None, in_index: Mapping[str, object]
) -> list[Problem]:
    """A problem for each of ``placed`` whose entry_id HEAD's manifest (its text,
    ``published``) gives another target, from a source ``in_index`` no longer has."""
    items = [p for p in placed if p.entry_ids]
    if not items or not published:
        return []
    ids = {entry_id for p in items for entry_id in p.entry_ids}
    if len(ids) > _SEARCHED_ONE_BY_ONE:
        listed = set(_ENTRY_ID.findall(published)) & ids
    else:
        listed = {i for i in ids if f'"entry_id": "{i}"' in published}
    if not listed:
        return []  # the common case: no new result reuses a published entry_id
    earlier = _published_at(published)
    problems = []
    for item in items:
        for entry_id in item.entry_ids:
            was = earlier.get(entry_id)
            if was is None or was[1] == item.target or was[0] in in_index:
                continue  # (a copy beside its original is entry-id-unique's to name)
            old_source, old_target = was
            problems.append(
                Problem(
                    item.source,
                    0,
                    0,
                    "result-moved",
                    f"entry_id {entry_id} is published from {old_source} (HEAD's manifest), "
                    f"which is gone: the website keeps {old_target}, so this copy would clash "
                    f"with it there; move it back (git mv {_folder(item.source)} "
                    f"{_folder(old_source)}), or give it a new entry_id if it is a new result",
                    "/entry_id",
                )
            )
            break
    return problems


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


def _published_at(text: str) -> dict[str, tuple[str, str]]:
    """(source, target) of each entry_id of a manifest's text; empty when it cannot be
    read (then nothing is said of moves: ``check`` and ``apply`` judge that manifest)."""
    try:
        files = json.loads(text)["files"]
        return {
            str(f["entry_id"]): (str(f["source"]), str(f["target"]))
            for f in files
            if isinstance(f, dict) and f.get("entry_id")
        }
    except (ValueError, KeyError, TypeError, RecursionError):
        return {}
