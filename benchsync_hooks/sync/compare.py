"""Which earlier result a new one is compared with: the latest of the same configuration.

Two results are comparable only when they ran the same thing on the same machine: the
same backend and model folder, the same run workload and result file, and the same
fields of the result that describe hardware, model precision, workload shape and cluster.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any

from ..check.convention import NAME_MAX, SUFFIX, TARGET_NAME, parse_target, run_date
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


def earlier_runs(
    website: Mapping[str, Entry], targets: Iterable[str], *, config: Config
) -> dict[str, list[tuple[str, str, str]]]:
    """target → (run_id, path, blob) of the website files beside it with its backend, model,
    run workload and file name, from an earlier run, latest first (at most LOOK_BACK).

    One pass over the listing reads the file names in the targets' folders once, grouped by
    workload and name and sorted by run; each target then takes its earlier runs by binary
    search. The cost grows with those folders, not with the targets times the folder (a
    first sync of thousands of results into a folder of thousands)."""
    mine = {}
    for target in targets:
        parts, _reason = parse_target(target, config)
        if parts is not None:
            mine[target] = parts
    folders = {target.rpartition("/")[0] for target in mine}
    groups: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
    starts = tuple(f"{folder}/" for folder in folders)
    # (prefix and suffix tests in C; a name that matches one of the targets' is parsed)
    workloads = tuple({f"{run_id[:-13]}_" for _b, _m, run_id, _n in mine.values()})
    endings = tuple({f"_{name}{SUFFIX}" for _b, _m, _r, name in mine.values()})
    split = TARGET_NAME.fullmatch
    for path in website if starts else ():
        if path.startswith(starts) and path.endswith(endings):
            folder, _, file_name = path.rpartition("/")
            found = (  # (a name no file system holds is none: the pattern backtracks on it)
                split(file_name) if len(file_name) <= NAME_MAX and folder in folders else None
            )
            if found is None or not file_name.startswith(workloads):
                continue
            run_id, name = found.groups()
            if run_id[-3:] != "000" and run_date(run_id[-12:-4]) is not None:
                runs = groups.setdefault((folder, run_id[:-13], name), [])
                runs.append((run_id[-12:], run_id, path))  # (YYYYMMDD_NNN sorts as runs do)
    for runs in groups.values():
        runs.sort()
    earlier: dict[str, list[tuple[str, str, str]]] = {}
    for target, (_backend, _model, run_id, name) in mine.items():
        runs = groups.get((target.rpartition("/")[0], run_id[:-13], name), [])
        at = bisect_left(runs, (run_id[-12:],))  # the first run not earlier
        chosen = earlier[target] = []
        while at and len(chosen) < LOOK_BACK:  # latest first
            at -= 1
            _order, guess, path = runs[at]
            theirs, _reason = parse_target(path, config)
            entry = website[path]
            if theirs is not None and theirs[2:] == (guess, name) and entry.is_file:
                chosen.append((guess, path, entry.blob))
            else:  # no earlier run of any target: never looked at again (no walk repeats it)
                del runs[at]
    return earlier
