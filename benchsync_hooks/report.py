"""Problems as values, and the reporters that print them in one place."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TextIO

if TYPE_CHECKING:
    from .sync.regressions import Comparison, MetricChange, ResultVerdict

FORMATS = ("text", "json", "github")


class Problem(NamedTuple):
    """One thing wrong with one file.

    ``line``/``column`` are 1-based and point at the offending value; both are 0
    when the problem concerns the path itself rather than a place inside the file.
    """

    path: str
    line: int
    column: int
    rule: str
    message: str
    pointer: str = ""

    def text(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}"
        return f"{self.path}: {self.rule} {self.message}"

    def github(self) -> str:
        props = f"file={_gh_prop(self.path)}"
        if self.line:
            props += f",line={self.line},col={self.column}"
        props += f",title={_gh_prop(self.rule)}"
        return f"::error {props}::{_gh_data(self.message)}"


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def emit(
    problems: Sequence[Problem],
    *,
    fmt: str | None,
    out: TextIO,
    summary: str | None = None,
    extra: dict[str, object] | None = None,
    ok: bool | None = None,
) -> None:
    """Print problems in the chosen format.

    ``fmt=None`` means "not given": text, plus GitHub annotations when running
    inside GitHub Actions.
    """
    ordered = sorted(problems)
    if fmt == "json":
        doc: dict[str, object] = {
            "ok": not ordered if ok is None else ok,
            "problems": [_as_json(p) for p in ordered],
        }
        if extra:
            doc.update(extra)
        out.write(json.dumps(doc, indent=2) + "\n")
        return
    if fmt == "github":
        _write_lines(out, (p.github() for p in ordered))
        if summary:
            out.write(summary + "\n")
        return
    _write_lines(out, (p.text() for p in ordered))
    if summary:
        out.write(summary + "\n")
    if fmt is None and in_github_actions():
        _write_lines(out, (p.github() for p in ordered))


def _as_json(problem: Problem) -> dict[str, object]:
    data = problem._asdict()
    return {k: data[k] for k in ("path", "line", "column", "pointer", "rule", "message")}


def _write_lines(out: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        out.write(line + "\n")


def github_output(values: dict[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` (a value with a line break as a heredoc)."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    lines = []
    for key, value in values.items():
        if "\n" in value or "\r" in value:
            marker = f"benchsync_{abs(hash(value)):x}"
            lines.append(f"{key}<<{marker}\n{value}\n{marker}\n")
        else:
            lines.append(f"{key}={value}\n")
    with open(target, "a", encoding="utf-8") as handle:
        handle.writelines(lines)


def step_summary(markdown: str) -> None:
    """Append markdown to ``$GITHUB_STEP_SUMMARY`` (when GitHub Actions set it)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n")


def md_cell(text: str) -> str:
    """A table cell that shows ``text`` as text: no column break, HTML, mention or image."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    out = out.replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u200b")
    out = out.replace("![", "!\u200b[").replace("\r", " ").replace("\n", " ")
    return out


def check_summary(side: str, summary: str, problems: Sequence[Problem]) -> str:
    """The step summary of ``benchsync check``: counts per rule, then each problem."""
    lines = [f"### benchsync check ({side})", "", summary, ""]
    if problems:
        counts: dict[str, int] = {}
        for p in problems:
            counts[p.rule] = counts.get(p.rule, 0) + 1
        lines += ["| rule | problems |", "| --- | --- |"]
        lines += [f"| `{rule}` | {n} |" for rule, n in sorted(counts.items())]
        lines += ["", "| file | rule | message |", "| --- | --- | --- |"]
        for p in sorted(problems)[:200]:
            where = f"{p.path}:{p.line}" if p.line else p.path
            lines.append(f"| {md_cell(where)} | `{p.rule}` | {md_cell(p.message)} |")
    return "\n".join(lines) + "\n"


def verdict_line(comparison: Comparison) -> str:
    """``2 regressions, 5 improvements, 1 first run``: metrics beyond their threshold, and
    results with no earlier run of their configuration."""
    counts = (
        (len(comparison.regressions), "regression"),
        (len(comparison.improvements), "improvement"),
        (len(comparison.first_runs), "first run"),
    )
    return ", ".join(counted(n, what) for n, what in counts)


def counted(n: int, what: str) -> str:
    """``1 regression``, ``2 regressions``."""
    return f"{n} {what}{'' if n == 1 else 's'}"


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
            "rejected": [_as_json(p) for p in self.rejected],
            "kept": self.kept,
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
            f"source: {src['repo']} {src['ref']} @ {src['commit']}",
            f"plan: {len(self.new)} new, {len(self.updated)} updated, {self.unchanged} "
            f"unchanged, {len({p.path for p in self.rejected})} rejected; "
            f"{self.kept} website files kept",
        ]
        lines += [f"  new      {t}" for t in self.new]
        lines += [f"  updated  {t}" for t in self.updated]
        lines += [f"  rejected {p.text()}" for p in self.rejected]
        if self.comparison.results:
            lines.append(f"performance: {verdict_line(self.comparison)}")
            lines += [
                f"  regression {r.target} {c.metric} {number_text(c.before)} → "
                f"{number_text(c.after)} ({change_text(c)}, vs {r.baseline})"
                for r, c in self.comparison.regressions
            ]
        if not (self.new or self.updated):
            lines.append("nothing to sync")
        elif self.dry_run:
            lines.append(f"dry run: nothing written. Pull request '{self.pr_title}':\n")
            lines.append(self.pr_body.rstrip("\n"))
        elif self.no_commit:
            lines.append(f"wrote {len(self.new) + len(self.updated)} files into the working tree")
        elif self.changed:
            lines.append(f"committed {str(self.commit)[:12]} on {self.branch} (checked out)")
        else:
            lines.append(
                f"{self.branch} already holds these results at {str(self.commit)[:12]}; "
                "no new commit"
            )
        if self.pr_body_path and not self.dry_run:
            lines.append(f"pull request body: {self.pr_body_path}")
        if self.pushed:
            lines.append(f"pushed {self.branch} to {self.remote}")
        if self.pr_operation == "none":
            lines.append("pull request: nothing to change")
        elif self.pr_operation:
            lines.append(f"pull request #{self.pr_number} {self.pr_operation}: {self.pr_url}")
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
        if self.pr_url:
            text += f"\nPull request #{self.pr_number} ({self.pr_operation}): {self.pr_url}\n"
        return text


def emit_apply(report: ApplyReport, *, as_json: bool, out: TextIO) -> None:
    """Print the result of ``apply`` (one JSON document, or text) and the Actions outputs."""
    if as_json:
        out.write(json.dumps(report.as_json(), indent=2) + "\n")
    else:
        out.write(report.text())
    github_output(report.outputs())
    step_summary(report.summary())
