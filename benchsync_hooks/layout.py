"""The directory convention: parse a source path, map its target, consistency rules.

Everything here is pure: paths are repo-relative POSIX strings, file contents
arrive as :class:`Facts`. Git and the file system live elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from .config import Config
from .report import Problem
from .schema import parse_datetime

SUFFIX = "_leaderboard.json"
_BACKEND = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RUN_ID = re.compile(r"^(?P<workload>[a-z0-9][a-z0-9_-]*?)_(?P<date>\d{8})_(?P<seq>\d{3})$")
_STEM = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TARGET_NAME = re.compile(
    r"^(?P<run_id>[a-z0-9][a-z0-9_-]*?_\d{8}_\d{3})_(?P<name>[a-z0-9][a-z0-9_-]*)_leaderboard\.json$"
)

#: Locates a JSON pointer in the file being checked: 1-based (line, column).
Locate = Callable[[str], tuple[int, int]]


class ResultPath(NamedTuple):
    """A source path that follows the convention, taken apart (a tuple: cheap to make)."""

    source: str
    backend: str
    model: str
    run_id: str
    workload: str
    run_date: date
    sequence: int
    name: str

    def target(self, target_root: str) -> str:
        return f"{target_root}/{self.backend}/{self.model}/{self.run_id}_{self.name}{SUFFIX}"


class Facts(NamedTuple):
    """What the checks need to know of a leaderboard file's content (cacheable)."""

    sha256: str
    size: int
    kind: str  # "object", "array" or "other"
    entry_ids: tuple[str, ...]
    model_name: str | None
    submitted_at: str | None
    hardware: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "entry_ids": list(self.entry_ids),
            "model_name": self.model_name,
            "submitted_at": self.submitted_at,
            "hardware": self.hardware,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Facts:
        return cls(
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            kind=str(data["kind"]),
            entry_ids=tuple(str(x) for x in data["entry_ids"]),
            model_name=data.get("model_name"),
            submitted_at=data.get("submitted_at"),
            hardware=data.get("hardware"),
        )


class RunConfig(NamedTuple):
    """The ``config.json`` beside a result, as far as the convention cares."""

    path: str
    run_id: str | None
    backend: str | None
    model: str | None
    model_path: str | None
    timestamp: str | None
    error: str | None = None


def facts_from_value(value: Any, *, sha256: str, size: int) -> Facts:
    """Extract the facts of a parsed document."""
    items: list[Any]
    if isinstance(value, dict):
        kind, items = "object", [value]
    elif isinstance(value, list):
        kind, items = "array", value
    else:
        kind, items = "other", []
    ids = tuple(
        item["entry_id"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("entry_id"), str)
    )
    first = items[0] if items and isinstance(items[0], dict) else {}
    model = first.get("model")
    name = model.get("name") if isinstance(model, dict) else None
    meta = first.get("metadata")
    submitted = meta.get("submitted_at") if isinstance(meta, dict) else None
    hardware = first.get("hardware")
    chip = None
    if isinstance(hardware, dict):
        count, model_name = hardware.get("chip_count"), hardware.get("chip_model")
        if isinstance(model_name, str):
            chip = f"{count}× {model_name}" if isinstance(count, int) else model_name
    return Facts(
        sha256=sha256,
        size=size,
        kind=kind,
        entry_ids=ids,
        model_name=name if isinstance(name, str) else None,
        submitted_at=submitted if isinstance(submitted, str) else None,
        hardware=chip,
    )


def run_config_from_value(path: str, value: Any) -> RunConfig:
    if not isinstance(value, dict):
        return RunConfig(path, None, None, None, None, None, error="is not a JSON object")

    def text(key: str) -> str | None:
        item = value.get(key)
        return item if isinstance(item, str) and item else None

    return RunConfig(
        path,
        text("run_id"),
        text("backend"),
        text("model"),
        text("model_path"),
        text("timestamp"),
    )


def _problem(rel: str, rule: str, message: str) -> Problem:
    return Problem(rel, 0, 0, rule, message)


def parse_source(rel: str, config: Config) -> tuple[ResultPath | None, list[Problem]]:
    """Take a source path apart; problems are of the path itself."""
    parts = rel.split("/")
    root = config.source_root.split("/")
    shape = f"{config.source_root}/<backend>/<model>/<run_id>/<name>{SUFFIX}"
    if parts[: len(root)] != root:
        return None, [_problem(rel, "layout-root", f"is not under {config.source_root}/")]
    rest = parts[len(root) :]
    if len(rest) != 4:
        return None, [
            _problem(
                rel,
                "layout-shape",
                f"is {len(rest) - 1} director{'y' if len(rest) == 2 else 'ies'} deep below "
                f"{config.source_root}/, expected {shape}",
            )
        ]
    backend, model, run_id, filename = rest
    problems: list[Problem] = []
    if not _BACKEND.match(backend):
        problems.append(
            _problem(
                rel,
                "layout-backend",
                f"backend {backend!r} is not a lower-case slug (a-z, 0-9, _ and -)",
            )
        )
    elif config.backends and backend not in config.backends:
        problems.append(
            _problem(
                rel,
                "layout-backend",
                f"backend {backend!r} is not one of the configured backends: "
                f"{', '.join(config.backends)}",
            )
        )
    if not _MODEL.match(model):
        problems.append(
            _problem(
                rel,
                "layout-model",
                f"model directory {model!r} may hold only letters, digits, '.', '_' and '-'",
            )
        )
    match = _RUN_ID.match(run_id)
    run_date = date.min
    sequence = 0
    workload = ""
    if not match:
        problems.append(
            _problem(
                rel,
                "layout-run-id",
                f"run directory {run_id!r} is not <workload>_<YYYYMMDD>_<NNN> "
                "(e.g. short_20260128_001)",
            )
        )
    else:
        workload = match["workload"]
        sequence = int(match["seq"])
        digits = match["date"]
        try:
            run_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            problems.append(
                _problem(
                    rel,
                    "layout-date",
                    f"run date {match['date']} in {run_id!r} is not a real calendar date",
                )
            )
        if sequence == 0:
            problems.append(
                _problem(rel, "layout-sequence", f"run sequence in {run_id!r} starts at 001")
            )
    stem = filename[: -len(SUFFIX)] if filename.endswith(SUFFIX) else ""
    if not stem or not _STEM.match(stem):
        problems.append(
            _problem(
                rel,
                "layout-name",
                f"file name {filename!r} is not <name>{SUFFIX} with a lower-case slug name",
            )
        )
    if problems:
        return None, problems
    return (
        ResultPath(rel, backend, model, run_id, workload, run_date, sequence, stem),
        [],
    )


def parse_target(rel: str, config: Config) -> tuple[tuple[str, str, str, str] | None, str]:
    """Take a website path apart into (backend, model, run_id, name); else a reason."""
    parts = PurePosixPath(rel).parts
    root = PurePosixPath(config.target_root).parts
    if tuple(parts[: len(root)]) != root:
        return None, f"is not under {config.target_root}/"
    rest = parts[len(root) :]
    shape = f"{config.target_root}/<backend>/<model>/<run_id>_<name>{SUFFIX}"
    if len(rest) != 3:
        return None, f"is not {shape}"
    backend, model, filename = rest
    match = _TARGET_NAME.match(filename)
    if not _BACKEND.match(backend):
        return None, f"backend {backend!r} is not a lower-case slug"
    if not _MODEL.match(model):
        return None, f"model directory {model!r} may hold only letters, digits, '.', '_' and '-'"
    if not match:
        return None, f"file name {filename!r} is not <run_id>_<name>{SUFFIX}"
    parsed, problems = parse_source(
        f"{config.source_root}/{backend}/{model}/{match['run_id']}/{match['name']}{SUFFIX}",
        config,
    )
    if parsed is None:
        return None, problems[0].message
    return (backend, model, match["run_id"], match["name"]), ""


def consistency(
    result: ResultPath,
    facts: Facts,
    run_config: RunConfig | None,
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
            f"not {'an array' if facts.kind == 'array' else 'a ' + facts.kind}",
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
                    f"allowed: {config.date_tolerance_days}",
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
        yield Problem(run_config.path, 0, 0, "config-json", run_config.error)
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
                f"{run_config.path} says {key} {found!r} but the path says {expected!r}",
            )


def suggest_move(
    rel: str, facts: Facts | None, run_config: RunConfig | None, config: Config
) -> str:
    """The fix for a stray file: a ``git mv`` when enough is known, else what is missing."""
    name = PurePosixPath(rel).name
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else PurePosixPath(rel).stem
    cfg = run_config
    if cfg and cfg.backend and cfg.model and cfg.run_id:
        dest = f"{config.source_root}/{cfg.backend}/{cfg.model}/{cfg.run_id}/{stem}{SUFFIX}"
        if dest != rel:
            folder = PurePosixPath(dest).parent
            return f"move it: mkdir -p {folder} && git mv {rel} {dest}"
    model = None
    if facts and facts.model_name and facts.model_name != "unknown":
        model = facts.model_name
    elif cfg and cfg.model_path:
        model = PurePosixPath(cfg.model_path.rstrip("/")).name or None
    workload = next((w for w, s in config.workloads.items() if s == (stem,)), None)
    run_date = None
    if facts and facts.submitted_at:
        stamp = parse_datetime(facts.submitted_at)
        run_date = f"{stamp:%Y%m%d}" if stamp else None
    missing = [
        label
        for label, known in (
            ("backend", cfg.backend if cfg else None),
            ("model", model),
            ("run_id", (cfg.run_id if cfg else None) or (workload and run_date)),
        )
        if not known
    ]
    guess_run = (cfg.run_id if cfg else None) or (
        f"{workload or '<workload>'}_{run_date or '<YYYYMMDD>'}_<NNN>"
    )
    dest = (
        f"{config.source_root}/{(cfg.backend if cfg else None) or '<backend>'}/"
        f"{model or '<model>'}/{guess_run}/{stem}{SUFFIX}"
    )
    where = "no config.json beside it" if cfg is None else f"{cfg.path} lacks"
    detail = f"{where} {', '.join(missing)}" if cfg is not None else where
    return f"move it to {dest} ({detail}; fill in the unknown parts)"
