"""Consistency between a result's path and its content (each a separate, named rule)."""

from __future__ import annotations

from collections.abc import Iterable

from ..config import Config
from ..report import Problem
from .convention import SUFFIX, Locate, ResultPath
from .documented import parse_datetime
from .facts import Facts, RunConfig


def consistency(
    result: ResultPath,
    facts: Facts,
    run_config: RunConfig | None,
    *,
    config: Config,
    locate: Locate,
) -> list[Problem]:
    """Path-against-content rules for one file that follows the convention."""
    rel = result.source
    problems: list[Problem] = []

    def at(pointer: str, rule: str, message: str) -> None:
        line, col = locate(pointer)
        problems.append(Problem(rel, line, col, rule, message, pointer))

    if facts.kind != "object" and config.enabled("layout-single-result"):
        at(
            "",
            "layout-single-result",
            f"a result file under {config.source_root}/ holds one result object, "
            f"not {'an array' if facts.kind == 'array' else 'a ' + facts.kind}; write one file "
            "per result",
        )
    if (
        config.enabled("model-name")
        and facts.model_name is not None
        and facts.model_name != result.model
    ):
        at(
            "/model/name",
            "model-name",
            f"model.name is {facts.model_name!r} but the file is under model directory "
            f"{result.model!r}; fix model.name or move the run",
        )
    if config.enabled("run-date") and facts.submitted_at is not None:
        stamp = parse_datetime(facts.submitted_at)
        if stamp is not None:
            delta = abs((stamp.date() - result.run_date).days)
            if delta > config.date_tolerance_days:
                at(
                    "/metadata/submitted_at",
                    "run-date",
                    f"submitted_at {facts.submitted_at} is {delta} days from the run date "
                    f"{result.run_date:%Y-%m-%d} in {result.run_id!r}; "
                    f"allowed: {config.date_tolerance_days}; fix submitted_at or the run's "
                    "folder date (or raise date_tolerance_days)",
                )
    stems = config.workloads.get(result.workload)
    if config.enabled("workload-file") and stems is not None and result.name not in stems:
        problems.append(
            Problem(
                rel,
                0,
                0,
                "workload-file",
                f"{result.name}{SUFFIX} does not belong to workload {result.workload!r} "
                f"(expected {' or '.join(s + SUFFIX for s in stems)})",
            )
        )
    if run_config is not None and config.enabled("config-json"):
        problems.extend(_config_problems(result, run_config))
    return problems


def _config_problems(result: ResultPath, run_config: RunConfig) -> Iterable[Problem]:
    if run_config.error:
        yield Problem(
            result.source, 0, 0, "config-json", f"{run_config.path} {run_config.error}; fix it"
        )
        return
    for key, expected in (
        ("run_id", result.run_id),
        ("backend", result.backend),
        ("model", result.model),
    ):
        found = getattr(run_config, key)
        if found is not None and found != expected:
            yield Problem(
                result.source,
                0,
                0,
                "config-json",
                f"{run_config.path} says {key} {found!r} but the path says {expected!r}; "
                "make them agree (fix config.json, or move the run)",
            )
