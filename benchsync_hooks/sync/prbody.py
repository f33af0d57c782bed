"""The pull request: title, labels and a markdown body with the results and their change."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .. import __version__, gitrepo
from ..config import Config
from ..gitrepo import GitRepo
from .plan import Item, Plan


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


_TARGET_FILE = re.compile(r"^(?P<run_id>.+?_(?P<day>\d{8})_(?P<seq>\d{3}))_(?P<name>.+)$")


def _earlier_runs(
    plan: Plan, config: Config, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str, str], list[tuple[tuple[str, str, str], str, str]]]:
    """(backend, model, file name) → [(run key, path, blob)] for the website's results,
    only under the backend/model folders this sync touches."""
    index: dict[tuple[str, str, str], list[tuple[tuple[str, str, str], str, str]]] = {}
    root = config.target_root + "/"
    for path, entry in plan.website.items():
        parts = path[len(root) :].split("/") if path.startswith(root) else []
        if len(parts) != 3 or (parts[0], parts[1]) not in wanted:
            continue
        match = _TARGET_FILE.match(parts[2])
        if match is None:
            continue
        key = (match["day"], match["seq"], match["run_id"])
        index.setdefault((parts[0], parts[1], match["name"]), []).append((key, path, entry.blob))
    return index


def _previous(
    item: Item,
    index: dict[tuple[str, str, str], list[tuple[tuple[str, str, str], str, str]]],
) -> tuple[str, str] | None:
    """(path, blob) of the latest earlier run on the website with the same backend,
    model and workload file."""
    claim = item.claim
    name = claim.target.rsplit("/", 1)[-1][len(claim.run_id) + 1 :]
    mine = _run_key(claim.run_id)
    earlier = [c for c in index.get((claim.backend, claim.model, name), []) if c[0] < mine]
    if not earlier:
        return None
    _key, path, blob = max(earlier)
    return path, blob


def _run_key(run_id: str) -> tuple[str, str, str]:
    _workload, day, seq = run_id.rsplit("_", 2)
    return (day, seq, run_id)


def build(plan: Plan, website: GitRepo, config: Config) -> PullRequest:
    src = plan.source
    lines = [
        "## Benchmark results sync",
        "",
        f"**{len(plan.new)} new**, **{len(plan.updated)} updated**, "
        f"{len(plan.unchanged)} unchanged, {len(plan.rejected)} rejected result files "
        f"from `{src.location}` at `{src.ref}` (`{src.commit}`).",
        "",
    ]
    writes = sorted(plan.writes, key=lambda i: i.target)
    index = _earlier_runs(plan, config, {(i.claim.backend, i.claim.model) for i in writes})
    previous = {id(i): _previous(i, index) for i in writes}
    old_data = dict(gitrepo.read_blobs(website, {p[1] for p in previous.values() if p}))
    if writes:
        lines += [
            "| | backend | model | run_id | workload | hardware | TTFT ms | throughput tok/s "
            "| error rate | change |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for item in writes:
            claim = item.claim
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
            hardware = item.facts.hardware if item.facts and item.facts.hardware else "–"
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
            message = rej.message.replace("|", "\\|")
            lines.append(f"| `{rej.source}` | `{rej.rule}` | {message} |")
        lines.append("")
    lines += [
        f"Files already on the website and not in this sync are kept ({plan.kept}); "
        "history is never deleted.",
        "",
        f"<sub>Generated by benchsync-hooks {__version__}.</sub>",
    ]
    return PullRequest(config.pr_title, config.pr_labels, "\n".join(lines) + "\n")
