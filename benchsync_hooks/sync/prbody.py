"""The pull request: title, labels and a markdown body with the results and their change."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import __version__
from ..apply_report import change_text, number_text, unlisted_entry, unlisted_line, verdict_line
from ..config import Config
from ..git import GitRepo
from ..git.objects import read_blobs
from ..report import Problem, counted, md_cell
from .compare import LOOK_BACK, configuration, earlier_runs, parsed
from .regressions import (
    NOT_COMPARABLE,
    REGRESSION,
    Comparison,
    MetricChange,
    ResultVerdict,
    compare_all,
)
from .values import Plan, PlannedFile


@dataclass(frozen=True)
class PullRequest:
    title: str
    labels: tuple[str, ...]
    body: str
    comparison: Comparison = field(default_factory=Comparison)
    #: The label present while the comparison has a regression (and removed otherwise).
    regression_label: str = ""


def _metrics(result: dict[str, Any]) -> dict[str, Any]:
    metrics = result.get("metrics")
    return metrics if isinstance(metrics, dict) else {}


def _earlier(found: tuple[str, dict[str, Any]] | None) -> tuple[str, dict[str, Any]] | None:
    """(run_id, metrics) of an earlier result found by :func:`previous_runs`."""
    return None if found is None else (found[0], _metrics(found[1]))


def _number(value: Any, digits: int) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–"
    return f"{value:,.{digits}f}"


def _change(name: str, change: MetricChange | None) -> str | None:
    if change is None or change.verdict == NOT_COMPARABLE:
        return None
    return f"{name} {change_text(change)}"


def _changes(changes: tuple[tuple[ResultVerdict, MetricChange], ...], *, root: str) -> list[str]:
    """A table of regressions (or improvements): result, metric, before → after, change,
    earlier run."""
    rows = [
        "| result | metric | before → after | change | vs run |",
        "| --- | --- | --- | --- | --- |",
    ]
    for result, c in changes:
        name = result.target.removeprefix(root + "/").removesuffix("_leaderboard.json")
        rows.append(
            f"| {md_cell(name)} | {md_cell(c.metric)} ({c.direction} is better) "
            f"| {number_text(c.before)} → {number_text(c.after)} | {md_cell(change_text(c))} "
            f"| {md_cell(result.baseline or '')} |"
        )
    return rows


def previous_runs(
    plan: Plan, writes: list[PlannedFile], website: GitRepo, *, config: Config
) -> dict[str, tuple[str, dict[str, Any]] | None]:
    """target → (run_id, result) of the latest earlier website result of the same
    configuration, for each written file (None: there is none)."""
    candidates = earlier_runs(plan.website, (w.target for w in writes), config=config)
    mine = {w.target: configuration(parsed(w.data)) for w in writes}
    previous: dict[str, tuple[str, dict[str, Any]] | None] = dict.fromkeys(mine)
    waiting = [w.target for w in writes if candidates.get(w.target)]
    for depth in range(LOOK_BACK):  # the latest earlier run of each first, then the next
        waiting = [target for target in waiting if depth < len(candidates[target])]
        if not waiting:
            break
        wanted = {candidates[target][depth][2] for target in waiting}
        data = dict(read_blobs(website, wanted, max_size=config.max_file_size))
        still = []
        for target in waiting:
            run_id, _path, blob = candidates[target][depth]
            theirs = parsed(data.get(blob))
            if theirs and configuration(theirs) == mine[target]:
                previous[target] = (run_id, theirs)
            else:
                still.append(target)
        waiting = still
    return previous


def _row(item: PlannedFile, metrics: dict[str, Any], verdict: ResultVerdict) -> str:
    claim, result = item.claim.file, item.claim.result
    change = "no earlier run of this configuration on the website"
    if verdict.baseline is not None:
        changes = {c.metric: c for c in verdict.changes}
        worse = verdict.having(REGRESSION)
        parts = (  # the metrics that regressed, else the two headline ones
            [_change(md_cell(c.metric), c) for c in worse]
            if worse
            else [
                _change("throughput", changes.get("throughput_tps")),
                _change("TTFT", changes.get("ttft_ms")),
            ]
        )
        regressed = len(worse)
        change = f"{counted(regressed, 'regression')}: " if regressed else ""
        change += f"{', '.join(p for p in parts if p) or '–'} (vs {md_cell(verdict.baseline)})"
    hardware = md_cell(item.facts.hardware) if item.facts.hardware else "–"
    return (
        f"| {item.status} | {md_cell(claim.backend)} | {md_cell(claim.model)} "
        f"| {md_cell(claim.run_id)} | {md_cell(result.workload)} | {md_cell(result.name)} "
        f"| {hardware} "
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
    writes = sorted(plan.writes, key=lambda i: i.target)
    previous = previous_runs(plan, writes, website, config=config) if writes else {}
    metrics = {w.target: _metrics(parsed(w.data)) for w in writes}
    comparison = compare_all(
        ((w.target, metrics[w.target], _earlier(previous[w.target])) for w in writes),
        rules=config.regression_metrics,
        threshold=config.regression_threshold,
    )
    render = partial(
        _body,
        plan,
        writes=writes,
        metrics=metrics,
        comparison=comparison,
        config=config,
        website_problems=website_problems,
    )
    for cap in ROW_CAPS:  # every row, then fewer, until the body fits
        body = render(cap=cap)
        if len(body) <= MAX_BODY:
            break
    else:  # (long cells in every table: cut the text itself, at a line's end)
        body = body[: body.rfind("\n", 0, MAX_BODY - 200) + 1] + CUT
    labels = config.pr_labels
    if comparison.regressions:
        labels = (*labels, config.regression_label)
    return PullRequest(
        config.pr_title,
        labels,
        body,
        comparison=comparison,
        regression_label=config.regression_label,
    )


#: GitHub refuses a pull request body over 65,536 characters: the body stays under this.
MAX_BODY = 60_000
#: What ends a body cut short (the rows are all in ``benchsync apply --json``).
CUT = "\n_… the rest is cut at GitHub's size limit: `benchsync apply --json` lists it all._\n"
#: The most rows of each table and list, tried in turn until the body fits (None: all).
ROW_CAPS: tuple[int | None, ...] = (None, 300, 100, 30, 10)


def _capped(rows: list[str], cap: int | None, *, bullet: bool = False) -> list[str]:
    """The first ``cap`` rows, and a line saying how many more there are."""
    if cap is None or len(rows) <= cap:
        return rows
    more = f"… and {len(rows) - cap} more (`benchsync apply --json` lists them all)"
    return [*rows[:cap], f"- {more}" if bullet else "", *([] if bullet else [f"_{more}_"])]


def _body(
    plan: Plan,
    *,
    writes: list[PlannedFile],
    metrics: dict[str, dict[str, Any]],
    comparison: Comparison,
    config: Config,
    website_problems: tuple[Problem, ...],
    cap: int | None,
) -> str:
    """The markdown body, each table and list cut to ``cap`` rows."""
    src = plan.source
    lines = [f"**Performance:** {verdict_line(comparison)}", ""]
    if comparison.regressions:
        table = _changes(comparison.regressions, root=config.target_root)
        lines += [*table[:2], *_capped(table[2:], cap), ""]
    if comparison.improvements:  # (folded: the regressions are what a reviewer acts on)
        table = _changes(comparison.improvements, root=config.target_root)
        shown = counted(len(comparison.improvements), "improvement")
        lines += [f"<details><summary>{shown}</summary>", "", *table[:2]]
        lines += [*_capped(table[2:], cap), "", "</details>", ""]
    lines += [
        "## Benchmark results sync",
        "",
        f"**{len(plan.new)} new**, **{len(plan.updated)} updated**, "
        f"{plan.unchanged} unchanged, {len({r.source for r in plan.rejected})} rejected "
        f"result files from {md_cell(src.location)} at {md_cell(src.ref)} ({src.commit}).",
        "",
    ]
    if writes:
        verdicts = {v.target: v for v in comparison.results}
        lines += [
            "| | backend | model | run_id | workload | file | hardware | TTFT ms "
            "| throughput tok/s | error rate | change |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        rows = [_row(w, metrics[w.target], verdicts[w.target]) for w in writes]
        lines += [*_capped(rows, cap), ""]
    if plan.rejected:
        lines += ["### Rejected", "", "| source | rule | message |", "| --- | --- | --- |"]
        rows = [
            f"| {md_cell(_where(rej.source, rej.line, rej.column))} | `{rej.rule}` "
            f"| {md_cell(rej.message)} |"
            for rej in plan.rejected
        ]
        lines += [*_capped(rows, cap), ""]
    if plan.unlisted:
        lines += [
            f"### Not in the manifest ({len(plan.unlisted)})",
            "",
            unlisted_line(len(plan.unlisted)) + ":",
            "",
        ]
        rows = [f"- {md_cell(unlisted_entry(u))}" for u in plan.unlisted]
        lines += [*_capped(rows, min(cap or 50, 50), bullet=True), ""]
    if website_problems:
        lines += [
            f"### Website problems ({len(website_problems)}, not caused by this sync)",
            "",
            "| file | rule | message |",
            "| --- | --- | --- |",
        ]
        rows = [
            f"| {md_cell(_where(p.path, p.line, p.column))} | {md_cell(p.rule)} "
            f"| {md_cell(p.message)} |"
            for p in website_problems
        ]
        lines += [*_capped(rows, min(cap or 50, 50)), ""]
    kept = (
        f"{counted(plan.kept, 'file')} already on the website and not in this sync "
        f"{'is' if plan.kept == 1 else 'are'} kept"
        if plan.kept
        else "No website file is removed"
    )
    lines += [
        f"{kept}: a sync never deletes history.",
        "",
        f"<sub>Generated by benchsync-hooks {__version__}.</sub>",
    ]
    return "\n".join(lines) + "\n"


def _where(path: str, line: int, column: int) -> str:
    return f"{path}:{line}:{column}" if line else path
