"""The metric table of the regression check: which way is better, and by how much a change
must go to count. Defaults, and the configuration keys that change them.

``regression_metrics`` is laid over :data:`DEFAULT_METRICS`: a metric named there gets
``"higher"``, ``"lower"`` (which is better), ``"ignore"`` (not judged), or a table
``{ direction = "lower", threshold = 5 }`` (the direction may be left out for a metric the
defaults know). Thresholds are percentages of the earlier value.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import ConfigError, did_you_mean
from .limits import THRESHOLD, number

DIRECTIONS = ("higher", "lower")


class MetricRule(NamedTuple):
    """How one metric is judged against its earlier run."""

    direction: str  # "higher" or "lower": which way is better
    threshold: float | None = None  # percent; None: the configuration's regression_threshold


#: The metrics of the leaderboard schema judged by default. ``kv_used_tokens`` and
#: ``kv_used_bytes`` are not: how much of the KV cache a run used follows from its workload
#: and cache budget, and is neither better nor worse by itself.
DEFAULT_METRICS: Mapping[str, MetricRule] = MappingProxyType(
    {
        "throughput_tps": MetricRule("higher"),
        "prefix_hit_rate": MetricRule("higher"),
        "spec_accept_rate": MetricRule("higher"),
        "ttft_ms": MetricRule("lower"),
        "tbt_ms": MetricRule("lower"),
        "tpot_ms": MetricRule("lower"),
        "error_rate": MetricRule("lower"),
        "peak_mem_mb": MetricRule("lower"),
        "evict_count": MetricRule("lower"),
        "evict_ms": MetricRule("lower"),
    }
)


def parse_threshold(value: Any, where: str, key: str) -> float:
    """A threshold in percent: a finite number from 0 to 10,000."""
    return number(value, THRESHOLD, where=where, key=key)


def parse_metrics(value: Any, where: str) -> Mapping[str, MetricRule]:
    """``regression_metrics`` laid over :data:`DEFAULT_METRICS`; a bad entry is named."""
    if not isinstance(value, dict):
        raise ConfigError(
            f'{where}: regression_metrics must be a table of metric = "higher" | "lower" | '
            '"ignore" | { direction = "…", threshold = N }'
        )
    table = dict(DEFAULT_METRICS)
    for name, spec in value.items():
        key = f"regression_metrics.{name}"
        direction, threshold = _entry(spec, DEFAULT_METRICS.get(name), where=where, key=key)
        if direction == "ignore":
            table.pop(name, None)
        else:
            table[name] = MetricRule(direction, threshold)
    return MappingProxyType(table)


def _entry(
    spec: Any, default: MetricRule | None, *, where: str, key: str
) -> tuple[str, float | None]:
    direction: Any = spec
    threshold = None
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - {"direction", "threshold"})
        if unknown:
            raise ConfigError(
                f"{where}: {key}: unknown key {unknown[0]!r}; "
                f"{did_you_mean(unknown[0], ('direction', 'threshold'))}"
                "known keys: direction, threshold"
            )
        direction = spec.get("direction", default.direction if default else None)
        if direction is None:
            raise ConfigError(f'{where}: {key} needs a direction ("higher" or "lower" is better)')
        if "threshold" in spec:
            threshold = parse_threshold(spec["threshold"], where, f"{key}.threshold")
    choices = (*DIRECTIONS, "ignore")
    if not isinstance(direction, str) or direction not in choices:
        hint = did_you_mean(direction, choices) if isinstance(direction, str) else ""
        raise ConfigError(
            f"{where}: {key}: unknown direction {direction!r}; {hint}"
            'choose "higher" or "lower" (which is better) or "ignore"'
        )
    return direction, threshold
