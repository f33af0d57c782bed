"""The pure regression verdicts: directions, thresholds, boundaries and values that are no
numbers, and the verdict of a result and of a sync."""

from __future__ import annotations

import math
from typing import Any

import pytest

from benchsync_hooks.metrics import DEFAULT_METRICS, MetricRule
from benchsync_hooks.sync.regressions import (
    FIRST_RUN,
    IMPROVEMENT,
    NOT_COMPARABLE,
    REGRESSION,
    UNCHANGED,
    compare_all,
    compare_metric,
    compare_result,
)

HIGHER, LOWER = MetricRule("higher"), MetricRule("lower")


@pytest.mark.parametrize(
    ("rule", "before", "after", "verdict", "pct"),
    [
        # lower is better (ttft_ms, error_rate, ...)
        (LOWER, 200.0, 260.0, REGRESSION, 30.0),
        (LOWER, 200.0, 150.0, IMPROVEMENT, -25.0),
        (LOWER, 200.0, 210.0, UNCHANGED, 5.0),
        (LOWER, 200, 200, UNCHANGED, 0.0),
        # higher is better (throughput_tps, prefix_hit_rate, ...)
        (HIGHER, 100.0, 80.0, REGRESSION, -20.0),
        (HIGHER, 100.0, 125.0, IMPROVEMENT, 25.0),
        (HIGHER, 100.0, 95.0, UNCHANGED, -5.0),
        # exactly at the threshold is not beyond it; just past it is
        (LOWER, 100.0, 110.0, UNCHANGED, 10.0),
        (LOWER, 100.0, 110.001, REGRESSION, 10.001),
        (HIGHER, 100.0, 90.0, UNCHANGED, -10.0),
        (HIGHER, 100.0, 89.999, REGRESSION, -10.001),
        (LOWER, 1.1, 1.21, UNCHANGED, 10.0),  # a float's 10.000000000000009% is 10%
        # negative values: the change is relative to the size of the earlier value
        (HIGHER, -10.0, -5.0, IMPROVEMENT, 50.0),
        (HIGHER, -10.0, -15.0, REGRESSION, -50.0),
        (LOWER, -10.0, -5.0, REGRESSION, 50.0),
        (LOWER, -10.0, -20.0, IMPROVEMENT, -100.0),
        (HIGHER, -10.0, 10.0, IMPROVEMENT, 200.0),
        # integers (peak_mem_mb)
        (LOWER, 1000, 1200, REGRESSION, 20.0),
    ],
)
def test_directions_and_thresholds(
    rule: MetricRule, before: float, after: float, verdict: str, pct: float
) -> None:
    change = compare_metric("m", before, after, rule=rule, threshold=10.0)
    assert (change.verdict, change.change_pct, change.note) == (verdict, pct, "")
    assert (change.before, change.after) == (before, after)


@pytest.mark.parametrize(
    ("rule", "before", "after", "verdict", "note"),
    [
        (LOWER, 0.0, 0.0, UNCHANGED, ""),
        (LOWER, 0.0, 0.02, REGRESSION, "baseline 0"),  # error_rate 0 → 2%
        (LOWER, 0, 3, REGRESSION, "baseline 0"),  # evict_count 0 → 3
        (HIGHER, 0.0, 0.4, IMPROVEMENT, "baseline 0"),  # prefix_hit_rate 0 → 40%
        (HIGHER, 0.0, -1.0, REGRESSION, "baseline 0"),
        (LOWER, 5e-324, 1.0, REGRESSION, "change too large to show"),  # no ±inf %
        (HIGHER, -1e308, 1e308, IMPROVEMENT, "change too large to show"),
    ],
)
def test_a_zero_baseline_is_reported_not_divided(
    rule: MetricRule, before: float, after: float, verdict: str, note: str
) -> None:
    change = compare_metric("m", before, after, rule=rule, threshold=10.0)
    assert (change.verdict, change.note) == (verdict, note)
    assert change.change_pct == (0.0 if before == after else None)


@pytest.mark.parametrize(
    ("before", "after", "note"),
    [
        (None, 1.0, "before missing"),
        (1.0, None, "after missing"),
        (None, None, "before missing, after missing"),
        ("12", 1.0, "before not a number"),
        (1.0, True, "after not a number"),  # a bool is no number, although Python says int
        (False, 0, "before not a number"),
        (math.nan, 1.0, "before not a number"),
        (1.0, math.inf, "after not a number"),
        (-math.inf, 1.0, "before not a number"),
        ([1.0], {"v": 1}, "before not a number, after not a number"),
    ],
)
def test_values_that_are_no_numbers_are_not_comparable(before: Any, after: Any, note: str) -> None:
    change = compare_metric("m", before, after, rule=LOWER, threshold=10.0)
    assert (change.verdict, change.change_pct, change.note) == (NOT_COMPARABLE, None, note)


@pytest.mark.parametrize(
    ("rule", "threshold", "after", "verdict"),
    [
        (LOWER, 10.0, 104.0, UNCHANGED),
        (LOWER, 3.0, 104.0, REGRESSION),  # the global threshold
        (MetricRule("lower", 5.0), 3.0, 104.0, UNCHANGED),  # the metric's own wins
        (MetricRule("lower", 2.0), 50.0, 104.0, REGRESSION),
        (LOWER, 0.0, 100.000001, REGRESSION),  # 0: any change counts
        (LOWER, 0.0, 100.0, UNCHANGED),
    ],
)
def test_per_metric_threshold(
    rule: MetricRule, threshold: float, after: float, verdict: str
) -> None:
    change = compare_metric("m", 100.0, after, rule=rule, threshold=threshold)
    assert change.verdict == verdict
    assert change.threshold == (threshold if rule.threshold is None else rule.threshold)


def test_a_result_is_judged_on_the_table_only() -> None:
    before = {"ttft_ms": 100.0, "throughput_tps": 1000.0, "kv_used_tokens": 10, "x": 1}
    after = {"ttft_ms": 150.0, "throughput_tps": 1200.0, "kv_used_tokens": 9000, "x": 99}
    verdict = compare_result(
        "t", after, ("short_20260101_001", before), rules=DEFAULT_METRICS, threshold=10.0
    )
    assert [c.metric for c in verdict.changes] == list(DEFAULT_METRICS)  # kv_used_tokens not
    assert [c.metric for c in verdict.having(REGRESSION)] == ["ttft_ms"]
    assert [c.metric for c in verdict.having(IMPROVEMENT)] == ["throughput_tps"]
    assert verdict.verdict == REGRESSION  # a regression outweighs an improvement
    assert verdict.baseline == "short_20260101_001"
    missing = {c.metric: c.note for c in verdict.having(NOT_COMPARABLE)}
    assert missing["tbt_ms"] == "before missing, after missing"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"ttft_ms": 150.0}, REGRESSION),
        ({"ttft_ms": 50.0}, IMPROVEMENT),
        ({"ttft_ms": 101.0}, UNCHANGED),
        ({}, UNCHANGED),  # nothing comparable: nothing to report
    ],
)
def test_verdict_of_a_result(after: dict[str, float], expected: str) -> None:
    rules = {"ttft_ms": LOWER}
    verdict = compare_result("t", after, ("r", {"ttft_ms": 100.0}), rules=rules, threshold=10)
    assert verdict.verdict == expected


def test_verdicts_of_a_sync() -> None:
    rules = {"ttft_ms": LOWER, "throughput_tps": HIGHER}
    comparison = compare_all(
        [
            (
                "b",
                {"ttft_ms": 300.0, "throughput_tps": 10.0},
                ("r1", {"ttft_ms": 100.0, "throughput_tps": 20.0}),
            ),
            ("a", {"ttft_ms": 50.0}, ("r0", {"ttft_ms": 100.0})),
            ("c", {"ttft_ms": 1.0}, None),
        ],
        rules=rules,
        threshold=10.0,
    )
    assert [r.target for r in comparison.results] == ["a", "b", "c"]
    assert [(r.target, c.metric) for r, c in comparison.regressions] == [
        ("b", "ttft_ms"),
        ("b", "throughput_tps"),
    ]
    assert [(r.target, c.metric) for r, c in comparison.improvements] == [("a", "ttft_ms")]
    assert comparison.first_runs == ("c",)
    assert comparison.results[2].verdict == FIRST_RUN and comparison.results[2].changes == ()
