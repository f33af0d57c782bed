"""The regression check's configuration: the metric table, thresholds and the label."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchsync_hooks.config import Config, parse_config
from benchsync_hooks.config_files import load_config
from benchsync_hooks.errors import ConfigError
from benchsync_hooks.metrics import DEFAULT_METRICS, MetricRule


def test_defaults_cover_the_schema_metrics() -> None:
    config = Config()
    assert config.regression_threshold == 10.0
    assert config.regression_label == "performance-regression"
    higher = {n for n, r in DEFAULT_METRICS.items() if r.direction == "higher"}
    lower = {n for n, r in DEFAULT_METRICS.items() if r.direction == "lower"}
    assert higher == {"throughput_tps", "prefix_hit_rate", "spec_accept_rate"}
    assert lower == {
        *("ttft_ms", "tbt_ms", "tpot_ms", "error_rate", "peak_mem_mb", "evict_count"),
        "evict_ms",
    }
    assert all(r.threshold is None for r in DEFAULT_METRICS.values())


def test_the_table_is_laid_over_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.benchsync]\n"
        "regression_threshold = 5\n"
        'regression_label = "slower"\n'
        "[tool.benchsync.regression_metrics]\n"
        "ttft_ms = { threshold = 20 }\n"  # the direction stays the default's
        'peak_mem_mb = "ignore"\n'
        'kv_used_bytes = "lower"\n'
        'p99_latency_ms = { direction = "lower", threshold = 15.5 }\n'
        'throughput_tps = "lower"\n'
    )
    config = load_config(tmp_path)
    metrics = dict(config.regression_metrics)
    assert config.regression_threshold == 5.0 and config.regression_label == "slower"
    assert metrics["ttft_ms"] == MetricRule("lower", 20.0)
    assert "peak_mem_mb" not in metrics
    assert metrics["kv_used_bytes"] == MetricRule("lower")
    assert metrics["p99_latency_ms"] == MetricRule("lower", 15.5)
    assert metrics["throughput_tps"] == MetricRule("lower")
    assert metrics["error_rate"] == DEFAULT_METRICS["error_rate"]  # untouched default


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"regression_threshold": -1},
            "regression_threshold must be a percentage from 0 to 10,000 (10 means 10%), got -1",
        ),
        ({"regression_threshold": 10_001}, "regression_threshold must be a percentage from 0"),
        ({"regression_threshold": float("nan")}, "regression_threshold must be a percentage"),
        ({"regression_threshold": float("inf")}, "regression_threshold must be a percentage"),
        ({"regression_threshold": "10%"}, "regression_threshold must be a percentage"),
        ({"regression_threshold": True}, "regression_threshold must be a percentage"),
        (
            {"regresion_threshold": 5},
            "unknown key 'regresion_threshold'; did you mean 'regression_threshold'?",
        ),
        ({"regression_metrics": ["ttft_ms"]}, "regression_metrics must be a table"),
        (
            {"regression_metrics": {"ttft_ms": "lowre"}},
            "regression_metrics.ttft_ms: unknown direction 'lowre'; did you mean 'lower'?",
        ),
        ({"regression_metrics": {"ttft_ms": 1}}, "regression_metrics.ttft_ms: unknown direction 1"),
        (
            {"regression_metrics": {"ttft_ms": {"treshold": 5}}},
            "regression_metrics.ttft_ms: unknown key 'treshold'; did you mean 'threshold'?",
        ),
        (
            {"regression_metrics": {"ttft_ms": {"threshold": -5}}},
            "regression_metrics.ttft_ms.threshold must be a percentage from 0 to 10,000",
        ),
        (
            {"regression_metrics": {"p99_ms": {"threshold": 5}}},
            'regression_metrics.p99_ms needs a direction ("higher" or "lower" is better)',
        ),
        (
            {"regression_metrics": {"p99_ms": {"direction": "up"}}},
            "regression_metrics.p99_ms: unknown direction 'up'",
        ),
        ({"regression_label": ""}, "regression_label must be a GitHub label name"),
        ({"regression_label": " slow"}, "regression_label must be a GitHub label name"),
        ({"regression_label": "x" * 51}, "regression_label must be a GitHub label name"),
        ({"regression_label": "automated"}, "regression_label 'automated' is also in pr_labels"),
    ],
)
def test_bad_values_are_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, origin=".benchsync.toml")
    assert info.value.message.startswith(".benchsync.toml: ")
    assert message in info.value.message
    assert info.value.exit_code == 2
