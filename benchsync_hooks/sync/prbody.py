"""The pull request: title, labels and a markdown body with the results and their change."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..config import Config
from ..git import GitRepo
from ..git.objects import read_blobs
from ..report import md_cell
from .values import Plan, PlannedFile


@dataclass(frozen=True)
class PullRequest:
    title: str
    labels: tuple[str, ...]
    body: str


def _metrics(data: bytes | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    if isinstance(doc, list):
        doc = doc[0] if doc and isinstance(doc[0], dict) else {}
    metrics = doc.get("metrics") if isinstance(doc, dict) else None
    return metrics if isinstance(metrics, dict) else {}


def _number(value: Any, digits: int) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–"
    return f"{value:,.{digits}f}"


def _change(name: str, new: Any, old: Any) -> str | None:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (new, old)):
        return None
    if old == 0:
        return None
    pct = (new - old) / old * 100
    sign = "+" if pct >= 0 else "−"
    return f"{name} {sign}{abs(pct):.1f}%"


RunKey = tuple[str, str, str]  # (day, sequence, run_id): later runs compare greater


def run_key(run_id: str) -> RunKey | None:
    """The key of ``<workload>_<YYYYMMDD>_<NNN>``; None for another shape."""
    day, seq = run_id[-12:-4], run_id[-3:]
    digits = (day + seq).isascii() and (day + seq).isdigit()
    if run_id[-13:-12] != "_" or run_id[-4:-3] != "_" or not digits:
        return None
    return (day, seq, run_id)


def ending_of(item: PlannedFile) -> str:
    """What follows the run_id in the item's target file name: ``_<name>_leaderboard.json``."""
    claim = item.claim.file
    return claim.target.rsplit("/", 1)[-1][len(claim.run_id) :]


def _earlier_runs(names: Iterable[str], ending: str) -> list[tuple[RunKey, str]]:
    """The file names ``<run_id><ending>`` among ``names`` with their run keys, sorted."""
    cut = len(ending)
    keyed = ((run_key(name[:-cut]), name) for name in names if name.endswith(ending))
    runs = [(key, name) for key, name in keyed if key is not None]
    runs.sort()
    return runs


def _latest_before(runs: list[tuple[RunKey, str]], before: RunKey) -> str | None:
    """Of sorted :func:`_earlier_runs`, the file name of the latest run before ``before``."""
    at = bisect_left(runs, (before,))
    return runs[at - 1][1] if at else None


def _previous(plan: Plan, writes: list[PlannedFile]) -> dict[int, tuple[str, str] | None]:
    """id(item) → (path, blob) of the latest earlier run on the website with the same
    backend, model and workload file, for each written item."""
    folders = {i.target.rpartition("/")[0] for i in writes}
    names: dict[str, list[str]] = {folder: [] for folder in folders}
    for path in plan.website:
        folder, _, name = path.rpartition("/")
        if folder in names:
            names[folder].append(name)
    runs: dict[tuple[str, str], list[tuple[RunKey, str]]] = {}
    previous: dict[int, tuple[str, str] | None] = {}
    for item in writes:
        folder, ending = item.target.rpartition("/")[0], ending_of(item)
        if (folder, ending) not in runs:
            runs[folder, ending] = _earlier_runs(names[folder], ending)
        mine = run_key(item.claim.file.run_id)
        found = _latest_before(runs[folder, ending], mine) if mine else None
        path = f"{folder}/{found}" if found else ""
        previous[id(item)] = (path, plan.website[path].blob) if found else None
    return previous


def build(plan: Plan, website: GitRepo, config: Config) -> PullRequest:
    src = plan.source
    lines = [
        "## Benchmark results sync",
        "",
        f"**{len(plan.new)} new**, **{len(plan.updated)} updated**, "
        f"{plan.unchanged} unchanged, {len(plan.rejected)} rejected result files "
        f"from {md_cell(src.location)} at {md_cell(src.ref)} ({src.commit}).",
        "",
    ]
    writes = sorted(plan.writes, key=lambda i: i.target)
    previous = _previous(plan, writes)
    old_blobs = {p[1] for p in previous.values() if p}
    old_data = {b: d for b, d in read_blobs(website, old_blobs, max_size=config.max_file_size) if d}
    if writes:
        lines += [
            "| | backend | model | run_id | workload | hardware | TTFT ms | throughput tok/s "
            "| error rate | change |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for item in writes:
            claim = item.claim.file
            metrics = _metrics(item.data)
            prev = previous[id(item)]
            change = "first run"
            if prev is not None:
                old = _metrics(old_data.get(prev[1]))
                parts = [
                    _change("throughput", metrics.get("throughput_tps"), old.get("throughput_tps")),
                    _change("TTFT", metrics.get("ttft_ms"), old.get("ttft_ms")),
                ]
                run_id = prev[0].rsplit("/", 1)[-1].split("_")
                change = ", ".join(p for p in parts if p) or "–"
                change += f" (vs {'_'.join(run_id[:3])})"
            workload = claim.target.rsplit("/", 1)[-1][
                len(claim.run_id) + 1 : -len("_leaderboard.json")
            ]
            hardware = md_cell(item.facts.hardware) if item.facts.hardware else "–"
            lines.append(
                f"| {item.status} | {claim.backend} | {claim.model} | {claim.run_id} | {workload} "
                f"| {hardware} | {_number(metrics.get('ttft_ms'), 1)} "
                f"| {_number(metrics.get('throughput_tps'), 1)} "
                f"| {_number(metrics.get('error_rate'), 3)} | {change} |"
            )
        lines.append("")
    if plan.rejected:
        lines += ["### Rejected", "", "| source | rule | message |", "| --- | --- | --- |"]
        for rej in plan.rejected:
            where = f"{rej.source}:{rej.line}:{rej.column}" if rej.line else rej.source
            lines.append(f"| {md_cell(where)} | `{rej.rule}` | {md_cell(rej.message)} |")
        lines.append("")
    lines += [
        f"Files already on the website and not in this sync are kept ({plan.kept}); "
        "history is never deleted.",
        "",
        f"<sub>Generated by benchsync-hooks {__version__}.</sub>",
    ]
    return PullRequest(config.pr_title, config.pr_labels, "\n".join(lines) + "\n")
