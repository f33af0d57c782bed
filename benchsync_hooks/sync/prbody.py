"""The pull request: title, labels and a markdown body with the results and their change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..config import Config
from ..git import GitRepo
from ..git.objects import read_blobs
from ..report import Problem, md_cell
from .compare import by_folder, configuration, earlier_runs, parsed
from .values import Plan, PlannedFile


@dataclass(frozen=True)
class PullRequest:
    title: str
    labels: tuple[str, ...]
    body: str


def _metrics(result: dict[str, Any]) -> dict[str, Any]:
    metrics = result.get("metrics")
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


def previous_runs(
    plan: Plan, writes: list[PlannedFile], website: GitRepo, *, config: Config
) -> dict[str, tuple[str, dict[str, Any]] | None]:
    """target → (run_id, result) of the latest earlier website result of the same
    configuration, for each written file (None: there is none)."""
    folders = by_folder(plan.website, (w.target for w in writes))
    candidates = {
        w.target: earlier_runs(folders[w.target.rpartition("/")[0]], w.target, config=config)
        for w in writes
    }
    blobs = {blob for found in candidates.values() for _run, _path, blob in found}
    data = dict(read_blobs(website, blobs, max_size=config.max_file_size))
    previous: dict[str, tuple[str, dict[str, Any]] | None] = {}
    for item in writes:
        mine = configuration(parsed(item.data))
        previous[item.target] = None
        for run_id, _path, blob in candidates[item.target]:
            theirs = parsed(data.get(blob))
            if theirs and configuration(theirs) == mine:
                previous[item.target] = (run_id, theirs)
                break
    return previous


def _row(item: PlannedFile, before: tuple[str, dict[str, Any]] | None) -> str:
    claim, result = item.claim.file, item.claim.result
    metrics = _metrics(parsed(item.data))
    change = "no earlier run of this configuration"
    if before is not None:
        old = _metrics(before[1])
        parts = [
            _change("throughput", metrics.get("throughput_tps"), old.get("throughput_tps")),
            _change("TTFT", metrics.get("ttft_ms"), old.get("ttft_ms")),
        ]
        change = (", ".join(p for p in parts if p) or "–") + f" (vs {before[0]})"
    hardware = md_cell(item.facts.hardware) if item.facts.hardware else "–"
    return (
        f"| {item.status} | {claim.backend} | {claim.model} | {claim.run_id} "
        f"| {result.workload} | {result.name} | {hardware} "
        f"| {_number(metrics.get('ttft_ms'), 1)} | {_number(metrics.get('throughput_tps'), 1)} "
        f"| {_number(metrics.get('error_rate'), 3)} | {change} |"
    )


def build(
    plan: Plan,
    website: GitRepo,
    config: Config,
    *,
    website_problems: tuple[Problem, ...] = (),
) -> PullRequest:
    src = plan.source
    lines = [
        "## Benchmark results sync",
        "",
        f"**{len(plan.new)} new**, **{len(plan.updated)} updated**, "
        f"{plan.unchanged} unchanged, {len({r.source for r in plan.rejected})} rejected "
        f"result files from {md_cell(src.location)} at {md_cell(src.ref)} ({src.commit}).",
        "",
    ]
    writes = sorted(plan.writes, key=lambda i: i.target)
    if writes:
        previous = previous_runs(plan, writes, website, config=config)
        lines += [
            "| | backend | model | run_id | workload | file | hardware | TTFT ms "
            "| throughput tok/s | error rate | change |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [_row(item, previous[item.target]) for item in writes]
        lines.append("")
    if plan.rejected:
        lines += ["### Rejected", "", "| source | rule | message |", "| --- | --- | --- |"]
        for rej in plan.rejected:
            where = f"{rej.source}:{rej.line}:{rej.column}" if rej.line else rej.source
            lines.append(f"| {md_cell(where)} | `{rej.rule}` | {md_cell(rej.message)} |")
        lines.append("")
    if website_problems:
        lines += [
            f"### Website problems ({len(website_problems)}, not caused by this sync)",
            "",
            "| file | rule | message |",
            "| --- | --- | --- |",
        ]
        for p in website_problems[:50]:
            where = f"{p.path}:{p.line}:{p.column}" if p.line else p.path
            lines.append(f"| {md_cell(where)} | {md_cell(p.rule)} | {md_cell(p.message)} |")
        lines.append("")
    lines += [
        f"Files already on the website and not in this sync are kept ({plan.kept}); "
        "history is never deleted.",
        "",
        f"<sub>Generated by benchsync-hooks {__version__}.</sub>",
    ]
    return PullRequest(config.pr_title, config.pr_labels, "\n".join(lines) + "\n")
