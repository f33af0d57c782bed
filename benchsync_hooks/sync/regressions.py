"""Regression verdicts: each judged metric of a result against its earlier run.

Pure: metric values in, frozen verdicts out; no git, no files, no rendering. A change
counts when it goes *beyond* the threshold (a percentage of the earlier value): at exactly
the threshold it is ``unchanged``. A metric that is missing, ``null``, not a number, a
boolean, NaN or infinite on either side is ``not comparable``; an earlier value of 0 is
never divided by: 0 → 0 is unchanged, 0 → anything else goes the way of its direction with
the note ``baseline 0`` and no percentage. Metrics not in the table are not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..metrics import MetricRule

REGRESSION = "regression"
IMPROVEMENT = "improvement"
UNCHANGED = "unchanged"
NOT_COMPARABLE = "not comparable"
FIRST_RUN = "first run"
#: Digits a percentage is rounded to before it is judged: 1.1 → 1.21 is +10%, not a float's
#: +10.000000000000009%.
DIGITS = 6


@dataclass(frozen=True)
class MetricChange:
    """One metric of one result against the same metric of its earlier run."""

    metric: str
    direction: str  # "higher" | "lower": which is better
    threshold: float  # percent
    before: float | None  # None: not a usable number
    after: float | None
    change_pct: float | None  # None: not comparable, or a baseline of 0
    verdict: str  # REGRESSION | IMPROVEMENT | UNCHANGED | NOT_COMPARABLE
    note: str = ""  # why not comparable, or "baseline 0"


@dataclass(frozen=True)
class ResultVerdict:
    """One new or updated result: its earlier run (None: a first run) and every change."""

    target: str
    baseline: str | None  # run_id of the earlier result of the same configuration
    changes: tuple[MetricChange, ...] = ()

    @property
    def verdict(self) -> str:
        """``first run``, else ``regression`` if any metric regressed, else ``improvement``
        if any improved, else ``unchanged`` (also when nothing was comparable)."""
        if self.baseline is None:
            return FIRST_RUN
        verdicts = {c.verdict for c in self.changes}
        for verdict in (REGRESSION, IMPROVEMENT):
            if verdict in verdicts:
                return verdict
        return UNCHANGED

    def having(self, verdict: str) -> tuple[MetricChange, ...]:
        return tuple(c for c in self.changes if c.verdict == verdict)


@dataclass(frozen=True)
class Comparison:
    """The verdicts of every new or updated result of one sync, sorted by target."""

    results: tuple[ResultVerdict, ...] = ()

    def having(self, verdict: str) -> tuple[tuple[ResultVerdict, MetricChange], ...]:
        """(result, change) of every metric with ``verdict``, results in order."""
        return tuple((r, c) for r in self.results for c in r.having(verdict))

    @property
    def regressions(self) -> tuple[tuple[ResultVerdict, MetricChange], ...]:
        return self.having(REGRESSION)

    @property
    def improvements(self) -> tuple[tuple[ResultVerdict, MetricChange], ...]:
        return self.having(IMPROVEMENT)

    @property
    def first_runs(self) -> tuple[str, ...]:
        return tuple(r.target for r in self.results if r.baseline is None)


def number(value: Any) -> float | None:
    """``value`` as a finite number, or None (missing, null, text, a boolean, NaN, ±inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    as_float = float(value)
    return as_float if math.isfinite(as_float) else None


def compare_metric(
    name: str, before: Any, after: Any, *, rule: MetricRule, threshold: float
) -> MetricChange:
    """Judge one metric; ``threshold`` applies unless ``rule`` has its own."""
    limit = threshold if rule.threshold is None else rule.threshold
    old, new = number(before), number(after)

    def judged(verdict: str, pct: float | None = None, note: str = "") -> MetricChange:
        return MetricChange(name, rule.direction, limit, old, new, pct, verdict, note)

    if old is None or new is None:
        return judged(NOT_COMPARABLE, note=_why_not(before, after))
    if old == new:
        return judged(UNCHANGED, 0.0)
    better = (new > old) == (rule.direction == "higher")
    if old == 0:
        return judged(IMPROVEMENT if better else REGRESSION, note="baseline 0")
    pct = round((new - old) / abs(old) * 100, DIGITS)
    if not math.isfinite(pct):  # beyond any float: a baseline next to 0, or huge values
        return judged(IMPROVEMENT if better else REGRESSION, note="change too large to show")
    if abs(pct) <= limit:
        return judged(UNCHANGED, pct)
    return judged(IMPROVEMENT if better else REGRESSION, pct)


def _why_not(before: Any, after: Any) -> str:
    """``before missing``, ``after not a number``, ...: each side that has no usable number."""
    return ", ".join(
        f"{side} {'missing' if value is None else 'not a number'}"
        for side, value in (("before", before), ("after", after))
        if number(value) is None
    )


def compare_result(
    target: str,
    after: Mapping[str, Any],
    before: tuple[str, Mapping[str, Any]] | None,
    *,
    rules: Mapping[str, MetricRule],
    threshold: float,
) -> ResultVerdict:
    """The verdict of one result's ``metrics`` against ``before`` = (run_id, its metrics)."""
    if before is None:
        return ResultVerdict(target, None)
    run_id, old = before
    changes = tuple(
        compare_metric(name, old.get(name), after.get(name), rule=rule, threshold=threshold)
        for name, rule in rules.items()
    )
    return ResultVerdict(target, run_id, changes)


def compare_all(
    results: Iterable[tuple[str, Mapping[str, Any], tuple[str, Mapping[str, Any]] | None]],
    *,
    rules: Mapping[str, MetricRule],
    threshold: float,
) -> Comparison:
    """The verdicts of (target, metrics, earlier run or None) triples, sorted by target."""
    verdicts = [
        compare_result(target, after, before, rules=rules, threshold=threshold)
        for target, after, before in results
    ]
    return Comparison(tuple(sorted(verdicts, key=lambda v: v.target)))
