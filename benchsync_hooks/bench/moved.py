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

_ENTRY_ID = re.compile(r'"entry_id"\s*:\s*"([^"\\\n]*)"')
_FIELD = re.compile(r'"(source|target)"\s*:\s*("(?:[^"\\\n]|\\.)*")')


def moved_results(
    placed: Iterable[Placed], *, published: str | None, in_index: Mapping[str, object]
) -> list[Problem]:
    """A problem for each of ``placed`` whose entry_id HEAD's manifest (its text,
    ``published``) gives another target, from a source ``in_index`` no longer has."""
    items = [p for p in placed if p.entry_ids]
    if not items or not published:
        return []
    ids = {entry_id for p in items for entry_id in p.entry_ids}
    if not any(entry_id in published for entry_id in ids):
        return []  # the common case: no new result reuses a published entry_id
    earlier = _published_at(published, ids)
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
                    f"with it there; move it back ({_way_back(item.source, old_source)}), or "
                    "give it a new entry_id if it is a new result",
                    "/entry_id",
                )
            )
            break
    return problems


def _way_back(now: str, was: str) -> str:
    """``git mv`` of the run folder, or of the file alone when only its name changed."""
    folder, old_folder = now.rpartition("/")[0], was.rpartition("/")[0]
    if folder == old_folder:
        return f"git mv {now} {was}"
    return f"git mv {folder} {old_folder}"


def _published_at(text: str, ids: set[str]) -> dict[str, tuple[str, str]]:
    """(source, target) of the entries of a manifest's text that hold one of ``ids``, read
    from each entry's own text (no parse of the whole manifest: its memory would grow with
    a padded manifest's values); rendered or compact alike."""
    found: dict[str, tuple[str, str]] = {}
    for match in _ENTRY_ID.finditer(text):
        if match.group(1) not in ids:
            continue
        start, end = text.rfind("{", 0, match.start()), text.find("}", match.end())
        fields = {}
        for key, value in _FIELD.findall(text, start, end if end >= 0 else len(text)):
            try:
                fields[key] = json.loads(value)
            except ValueError:
                continue
        if isinstance(fields.get("source"), str) and isinstance(fields.get("target"), str):
            found[match.group(1)] = (fields["source"], fields["target"])
    return found
