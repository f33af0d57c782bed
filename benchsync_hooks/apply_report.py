"""What ``benchsync apply`` did, rendered: text, ``--json``, ``GITHUB_OUTPUT`` and the step
summary from one :class:`ApplyReport` value, and the regression verdicts' words. (Split from
:mod:`.report` so that the hooks never import what only ``apply`` prints.)"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from .report import (
    Problem,
    counted,
    github_output,
    github_warning,
    in_github_actions,
    md_cell,
    problem_json,
    step_summary,
    visible,
)

if TYPE_CHECKING:
    from .sync.regressions import Comparison, MetricChange, ResultVerdict
    from .sync.values import Unlisted


def verdict_line(comparison: Comparison) -> str:
    """``2 regressions, 5 improvements, 1 first run``: metrics beyond their threshold, and
    results with no earlier run of their configuration."""
    counts = (
        (len(comparison.regressions), "regression"),
        (len(comparison.improvements), "improvement"),
        (len(comparison.first_runs), "first run"),
    )
    return ", ".join(counted(n, what) for n, what in counts)


def change_text(change: MetricChange) -> str:
    """``+30.0%``, ``−12.5%``, or the note (``baseline 0``) when there is no percentage."""
    if change.change_pct is None:
        return change.note
    return f"{'+' if change.change_pct >= 0 else '−'}{abs(change.change_pct):.1f}%"


def number_text(value: float | None) -> str:
    return "–" if value is None else f"{value:,.6g}"


def changes_json(
    changes: Iterable[tuple[ResultVerdict, MetricChange]],
) -> list[dict[str, object]]:
    """(result, metric change) pairs as JSON values (``--json``, GITHUB_OUTPUT)."""
    return [
        {
            "result": result.target,
            "metric": c.metric,
            "direction": c.direction,
            "threshold": c.threshold,
            "before": c.before,
            "after": c.after,
            "change_pct": c.change_pct,
            "note": c.note,
            "baseline_run": result.baseline,
        }
        for result, c in changes
    ]


#: Paths of a list shown in the text output (``--json`` and the PR body hold more).
SHOWN = 10


def unlisted_line(count: int) -> str:
    """What the source's result files outside its manifest mean, and what to do."""
    return (
        f"{counted(count, 'result file')} of the source {'is' if count == 1 else 'are'} not in "
        "its manifest, so not synced: left out by its checks, or committed without its hooks; "
        "'benchsync check' in the benchmark repository says why"
    )


def _json_text(path: str) -> str:
    """A path as valid Unicode for JSON (bytes that are no UTF-8 shown as U+FFFD: a lone
    surrogate escape is refused by strict JSON readers)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def unlisted_entry(item: Unlisted) -> str:
    """An unlisted file, and what the website's checks say of it, in a few words (raw:
    each output escapes it its own way)."""
    if item.fails is None:
        return item.path
    if item.fails:
        return f"{item.path} (fails {', '.join(item.fails)})"
    return (
        f"{item.path} (passes its checks: committed past the manifest hook, or a clash with "
        "another result)"
    )


@dataclass(frozen=True)
class ApplyReport:
    """What ``benchsync apply`` did, as plain values: every output is rendered from it."""

    source: dict[str, str]
    base: dict[str, str]
    new: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: int
    rejected: tuple[Problem, ...]
    kept: int
    branch: str | None
    commit: str | None
    changed: bool
    dry_run: bool
    no_commit: bool
    pr_title: str
    pr_labels: tuple[str, ...]
    pr_body: str
    pr_body_path: str | None
    comparison: Comparison
    pushed: bool = False
    remote: str = ""
    pr_number: int | None = None
    pr_url: str | None = None
    pr_operation: str | None = None
    fail_on_regression: bool = False
    unlisted: tuple[Unlisted, ...] = ()  # result files of the source its manifest leaves out
    warnings: tuple[str, ...] = ()  # about the website's state: the run went on

    @property
    def failed(self) -> bool:
        """--fail-on-regression and a regression: exit 1 after everything is done."""
        return self.fail_on_regression and bool(self.comparison.regressions)

    def as_json(self) -> dict[str, object]:
        pr: dict[str, object] = {
            "title": self.pr_title,
            "labels": list(self.pr_labels),
            "body": self.pr_body,
        }
        if self.pr_operation is not None:
            pr.update(number=self.pr_number, url=self.pr_url, operation=self.pr_operation)
        comparison = self.comparison
        return {
            "ok": not self.failed,
            "source": self.source,
            "base": self.base,
            "new": list(self.new),
            "updated": list(self.updated),
            "unchanged": self.unchanged,
            "rejected": [problem_json(p) for p in self.rejected],
            "kept": self.kept,
            "unlisted": [{"path": _json_text(u.path), "fails": u.fails} for u in self.unlisted],
            "warnings": list(self.warnings),
            "branch": self.branch,
            "commit": self.commit,
            "changed": self.changed,
            "dry_run": self.dry_run,
            "pushed": self.pushed,
            "pr": pr,
            "pr_body_path": self.pr_body_path,
            "verdict": verdict_line(comparison),
            "regressions": changes_json(comparison.regressions),
            "improvements": changes_json(comparison.improvements),
            "first_runs": list(comparison.first_runs),
        }

    def text(self) -> str:
        src = self.source
        lines = [
            visible(f"source: {src['repo']} {src['ref']} @ {src['commit']}"),
            f"plan: {len(self.new)} new, {len(self.updated)} updated, {self.unchanged} "
            f"unchanged, {len({p.path for p in self.rejected})} rejected; "
            f"{counted(self.kept, 'website file')} kept",
        ]
        lines += [visible(f"  new      {t}") for t in self.new]
        lines += [visible(f"  updated  {t}") for t in self.updated]
        lines += [f"  rejected {p.text()}" for p in self.rejected]
        if self.unlisted:
            lines.append(f"warning: {unlisted_line(len(self.unlisted))}")
            lines += [visible(f"  unlisted {unlisted_entry(u)}") for u in self.unlisted[:SHOWN]]
            if len(self.unlisted) > SHOWN:
                lines.append(f"  … and {len(self.unlisted) - SHOWN} more (--json lists them)")
        if self.comparison.results:
            lines.append(f"performance: {verdict_line(self.comparison)}")
            lines += [
                visible(
                    f"  {kind} {r.target} {c.metric} {number_text(c.before)} → "
                    f"{number_text(c.after)} ({change_text(c)}, vs {r.baseline})"
                )
                for kind, changes in (
                    ("regression", self.comparison.regressions),
                    ("improvement", self.comparison.improvements),
                )
                for r, c in changes
            ]
        if not (self.new or self.updated):
            lines.append("nothing to sync")
        elif self.dry_run:
            lines.append(
                visible(f"dry run: nothing written. Pull request '{self.pr_title}':") + "\n"
            )
            lines.append(self.pr_body.rstrip("\n"))
        elif self.no_commit:
            written = counted(len(self.new) + len(self.updated), "file")
            lines.append(f"wrote {written} into the working tree")
        elif self.changed:
            lines.append(f"committed {str(self.commit)[:12]} on {self.branch} (checked out)")
        else:
            lines.append(
                f"{self.branch} already holds these results at {str(self.commit)[:12]}; "
                "no new commit (checked out)"
            )
        if self.pr_body_path and not self.dry_run:
            lines.append(f"pull request body: {self.pr_body_path}")
        if self.pushed:
            lines.append(f"pushed {self.branch} to {self.remote}")
        if self.pr_operation == "none":
            lines.append("pull request: nothing to change")
        elif self.pr_operation:
            lines.append(f"pull request #{self.pr_number} {self.pr_operation}: {self.pr_url}")
        lines += [visible(f"warning: {warning}") for warning in self.warnings]  # (last: seen)
        return "\n".join(lines) + "\n"

    def outputs(self) -> dict[str, str]:
        values = {
            "changed": "true" if self.changed else "false",
            "files-new": str(len(self.new)),
            "files-updated": str(len(self.updated)),
            "branch": self.branch or "",
            "commit": self.commit or "",
            "pr-title": self.pr_title,
            "pr-labels": ",".join(self.pr_labels),
            "pr-body-path": self.pr_body_path or "",
            "regressions": str(len(self.comparison.regressions)),
            "unlisted": str(len(self.unlisted)),
            "regressions-json": json.dumps(
                changes_json(self.comparison.regressions), separators=(",", ":")
            ),
        }
        if self.pr_operation is not None:
            values["pr-number"] = str(self.pr_number or "")
            values["pr-url"] = self.pr_url or ""
            values["pr-operation"] = self.pr_operation
        return values

    def summary(self) -> str:
        text = (
            self.pr_body
            if (self.new or self.updated)
            else "### benchsync apply\n\nnothing to sync\n"
        )
        if self.unlisted and not (self.new or self.updated):  # (else the PR body says it)
            shown = ", ".join(md_cell(unlisted_entry(u)) for u in self.unlisted[:SHOWN])
            more = len(self.unlisted) - SHOWN
            text += f"\n**Warning:** {unlisted_line(len(self.unlisted))}: {shown}"
            text += f" and {more} more\n" if more > 0 else "\n"
        text += "".join(f"\n**Warning:** {md_cell(warning)}\n" for warning in self.warnings)
        if self.pr_url:
            text += f"\nPull request #{self.pr_number} ({self.pr_operation}): {self.pr_url}\n"
        return text


def emit_apply(report: ApplyReport, *, as_json: bool, out: TextIO) -> None:
    """Print the result of ``apply`` (one JSON document, or text) and the Actions outputs."""
    if as_json:
        out.write(json.dumps(report.as_json(), indent=2) + "\n")
    else:
        out.write(report.text())
        if in_github_actions():  # (seen in the run's summary page)
            for warning in report.warnings:
                out.write(github_warning(warning) + "\n")
            if report.unlisted:
                out.write(github_warning(unlisted_line(len(report.unlisted))) + "\n")
    github_output(report.outputs())
    step_summary(report.summary())
