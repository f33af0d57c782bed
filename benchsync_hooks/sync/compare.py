"""Which earlier result a new one is compared with: the latest of the same configuration.

Two results are comparable only when they ran the same thing on the same machine: the
same backend and model folder, the same run workload and result file, and the same
fields of the result that describe hardware, model precision, workload shape and cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..check.convention import parse_target
from ..config import Config
from ..git.listing import Entry

#: The fields of a result that must be equal for two runs to be compared.
SAME = (
    ("config_type",),
    ("hardware", "vendor"),
    ("hardware", "chip_model"),
    ("hardware", "chip_count"),
    ("hardware", "chips_per_node"),
    ("model", "precision"),
    ("model", "quantization"),
    ("workload", "input_length"),
    ("workload", "output_length"),
    ("workload", "batch_size"),
    ("workload", "concurrent_requests"),
    ("workload", "dataset"),
    ("cluster", "node_count"),
)
#: Earlier runs looked at per result, latest first (each costs one blob read).
LOOK_BACK = 20


def first_result(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def parsed(data: bytes | None) -> dict[str, Any]:
    """The first result object of a document's bytes ({} when it is none)."""
    if not data:
        return {}
    try:
        return first_result(json.loads(data))
    except (ValueError, RecursionError):
        return {}


def configuration(result: Mapping[str, Any]) -> tuple[str, ...]:
    """The comparable fields of one result, as a hashable key."""
    key = []
    for path in SAME:
        node: Any = result
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        key.append(json.dumps(node, sort_keys=True))
    return tuple(key)


def _run_order(run_id: str) -> tuple[str, str]:
    """(date, sequence) of ``<workload>_<YYYYMMDD>_<NNN>``: later runs compare greater."""
    return run_id[-12:-4], run_id[-3:]


def by_folder(
    website: Mapping[str, Entry], targets: Iterable[str]
) -> dict[str, list[tuple[str, Entry]]]:
    """The website files in each folder of ``targets`` (one pass over the listing)."""
    folders: dict[str, list[tuple[str, Entry]]] = {t.rpartition("/")[0]: [] for t in targets}
    starts = tuple(f"{folder}/" for folder in folders)
    for path in website:  # (a prefix test in C; an entry only for the paths in those folders)
        if path.startswith(starts):
            found = folders.get(path.rpartition("/")[0])
            if found is not None:
                found.append((path, website[path]))
    return folders


def earlier_runs(
    siblings: Iterable[tuple[str, Entry]], target: str, *, config: Config
) -> list[tuple[str, str, str]]:
    """(run_id, path, blob) of ``siblings`` (the website files beside ``target``) with its
    backend, model, run workload and file name, from an earlier run, latest first."""
    mine, _reason = parse_target(target, config)
    if mine is None:
        return []
    backend, model, run_id, name = mine
    workload = run_id[:-13]
    ending = f"_{name}_leaderboard.json"
    candidates = []  # (the run_id the file name gives, path, blob) of earlier runs
    for path, entry in siblings:
        file_name = path.rpartition("/")[2]
        if not (file_name.endswith(ending) and file_name.startswith(workload + "_")):
            continue  # another file or workload
        guess = file_name[: -len(ending)]
        if len(guess) == len(run_id) and _run_order(guess) < _run_order(run_id):
            candidates.append((guess, path, entry.blob))
    candidates.sort(key=lambda f: _run_order(f[0]), reverse=True)
    found = []
    for guess, path, blob in candidates:  # latest first: parsed until LOOK_BACK are found
        theirs, _ = parse_target(path, config)
        if theirs is None or theirs[3] != name or theirs[2] != guess:
            continue
        if (theirs[0], theirs[1]) == (backend, model):
            found.append((guess, path, blob))
            if len(found) == LOOK_BACK:
                break
    return found
