"""Configuration: ``[tool.benchsync]`` in pyproject.toml or ``.benchsync.toml``.

Every key has a default; an unknown key or a value of the wrong kind is a
:class:`ConfigError` that names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import ConfigError, did_you_mean
from .limits import NUMBERS, number
from .metrics import DEFAULT_METRICS, MetricRule, parse_metrics

CONFIG_FILE = ".benchsync.toml"
PYPROJECT = "pyproject.toml"

DEFAULT_WORKLOADS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "short": ("short_input",),
        "long": ("long_input",),
        "stress": ("stress_test",),
        "m1": ("short_input", "long_input", "stress_test"),
    }
)


class Config(NamedTuple):
    """All settings, with the defaults of DESIGN.md."""

    source_root: str = "outputs"
    target_root: str = "data/results"
    manifest: str = "outputs/sync-manifest.json"
    schema: str = ""
    max_file_size: int = 1024 * 1024
    max_depth: int = 64
    include: tuple[str, ...] = ("*_leaderboard.json",)
    exclude: tuple[str, ...] = ()
    workloads: Mapping[str, tuple[str, ...]] = DEFAULT_WORKLOADS
    backends: tuple[str, ...] = ()
    date_tolerance_days: int = 1
    disable: tuple[str, ...] = ()
    branch: str = "benchsync/sync-results"
    pr_title: str = "[Auto] Sync Benchmark Results"
    pr_labels: tuple[str, ...] = ("automated", "benchmark-sync", "data-update")
    lock_timeout: float = 60.0
    api_retries: int = 5
    api_backoff: float = 1.0
    api_max_wait: float = 120.0
    api_write_interval: float = 1.0
    regression_threshold: float = 10.0
    regression_metrics: Mapping[str, MetricRule] = DEFAULT_METRICS
    regression_label: str = "performance-regression"
    #: Where the configuration came from ("" for defaults); not a key.
    origin: str = ""

    def enabled(self, rule: str) -> bool:
        return rule not in self.disable

    def differs_from(self, other: Config) -> tuple[str, ...]:
        """The keys that change a verdict whose values differ in ``other``."""
        return tuple(
            key
            for key in VERDICT_KEYS
            if _comparable(getattr(self, key)) != _comparable(getattr(other, key))
        )

    def fingerprint(self) -> str:
        """A stable string of everything that changes a validation verdict."""
        parts = [
            self.source_root,
            self.target_root,
            self.schema,
            str(self.max_file_size),
            str(self.max_depth),
            repr(sorted((k, tuple(v)) for k, v in self.workloads.items())),
            repr(self.backends),
            str(self.date_tolerance_days),
            repr(sorted(self.disable)),
        ]
        return "\x1f".join(parts)


#: The keys whose values change what passes (the rules' own settings).
VERDICT_KEYS = (
    "schema",
    "max_file_size",
    "max_depth",
    "workloads",
    "backends",
    "date_tolerance_days",
    "disable",
)


def _comparable(value: object) -> object:
    """A key's value as compared between two configurations (tables and lists in order)."""
    if isinstance(value, Mapping):
        return sorted((k, tuple(v)) for k, v in value.items())
    if isinstance(value, tuple):
        return sorted(value)
    return value


_KEYS = set(Config._fields) - {"origin"}
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def parse_config(table: Mapping[str, Any], *, origin: str = "") -> Config:
    """Turn a TOML table into a :class:`Config`, naming any bad key."""
    where = origin or "configuration"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; {did_you_mean(unknown[0], _KEYS)}"
            f"known keys: {', '.join(sorted(_KEYS))}"
        )
    values: dict[str, Any] = {}
    for key, value in table.items():
        _refuse_control(key, value, where)
        values[key] = _coerce(key, value, where)
    config = Config()._replace(origin=origin, **values)
    _check_paths(config, where)
    _check_patterns(config, where)
    if config.regression_label in config.pr_labels:
        raise ConfigError(
            f"{where}: regression_label {config.regression_label!r} is also in pr_labels; "
            "it is added and removed by the regression check, so name another label"
        )
    return config


#: The most ``include`` + ``exclude`` patterns (they are matched one after the other).
MAX_PATTERNS = 200


def _check_patterns(config: Config, where: str) -> None:
    """``include`` and ``exclude``: few enough gitignore patterns that pathspec compiles
    (for RE2: matching stays linear in the path, also with a benchmark repository's own
    patterns, which ``apply`` reads and does not trust)."""
    patterns = [*config.include, *config.exclude]
    if len(patterns) > MAX_PATTERNS:
        raise ConfigError(
            f"{where}: include and exclude hold {len(patterns)} patterns, over {MAX_PATTERNS}; "
            "use folder patterns (outputs/exp*/) instead of one per file"
        )
    if patterns == list(Config().include):
        return  # the default: nothing to compile (and no pathspec import on the hooks' path)
    from .gitignore import compiled

    for pattern in patterns:
        try:
            compiled([pattern])
        except Exception as exc:  # (pathspec's or RE2's own error, whichever refuses)
            raise ConfigError(
                f"{where}: pattern {pattern!r} is not a gitignore pattern ({exc}); fix it"
            ) from None
    for key, lines in (("include", config.include), ("exclude", config.exclude)):
        try:
            compiled(lines)  # (as they are matched: one set, which RE2 bounds in size)
        except Exception as exc:
            raise ConfigError(
                f"{where}: the {key} patterns are too large to match together ({exc}); use "
                "fewer or shorter patterns"
            ) from None


def _control(text: str) -> str | None:
    """The first control character (C0, DEL or C1) in ``text``, if any."""
    return next((c for c in text if c < " " or "\x7f" <= c <= "\x9f"), None)


def _refuse_control(place: str, value: Any, where: str) -> None:
    """Refuse a control character in any string of a key's value: in a string, in each item
    of a list, in each key and value of a table, at any depth."""
    texts: list[tuple[str, str]] = []
    if isinstance(value, str):
        texts.append((place, value))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_control(f"{place}[{index}]", item, where)
    elif isinstance(value, dict):
        for name, item in value.items():
            texts.append((place, name))
            _refuse_control(f"{place}.{name}" if name.isprintable() else place, item, where)
    for at, text in texts:
        found = _control(text)
        if found is not None:
            raise ConfigError(
                f"{where}: {at}: {text!r} holds the control character {found!r}; remove it"
            )


def _coerce(key: str, value: Any, where: str) -> Any:
    default = getattr(Config(), key)
    if key == "workloads":
        return _coerce_workloads(value, where)
    if key == "regression_metrics":
        return parse_metrics(value, where)
    if key in NUMBERS:
        return number(value, NUMBERS[key], where=where, key=key)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
        if key == "regression_label" and (not value or value != value.strip() or len(value) > 50):
            raise ConfigError(
                f"{where}: regression_label must be a GitHub label name (1 to 50 characters, "
                f"no surrounding spaces), got {value!r}"
            )
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
        if key == "disable":
            from .rules import DISABLEABLE

            for item in value:
                if item not in DISABLEABLE:
                    raise ConfigError(
                        f"{where}: disable: {item!r} cannot be disabled; "
                        f"choose from {', '.join(DISABLEABLE)}"
                    )
        if key == "backends":
            for item in value:
                if not _SLUG.fullmatch(item):
                    raise ConfigError(f"{where}: backends: {item!r} is not a lower-case slug")
        return tuple(value)
    raise ConfigError(f"{where}: {key} has an unsupported value {value!r}")  # pragma: no cover


def _coerce_workloads(value: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: workloads must be a table of workload = [file stems]")
    result: dict[str, tuple[str, ...]] = {}
    for name, stems in value.items():
        if not _SLUG.fullmatch(name):
            raise ConfigError(f"{where}: workloads: {name!r} is not a lower-case slug")
        if not isinstance(stems, list) or not all(isinstance(s, str) for s in stems):
            raise ConfigError(f"{where}: workloads.{name} must be a list of file stems")
        result[name] = tuple(stems)
    return MappingProxyType(result)


PATH_KEYS = ("source_root", "target_root", "manifest")
PATH_RULE = (
    "a relative path inside the repository: names joined by single '/' (none at either end), "
    "no '.', '..' or '.git' name, no backslash or control character"
)


def path_problem(value: str) -> bool:
    """Whether ``value`` is no relative POSIX path git can hold as a tree: an empty, ``.``,
    ``..`` or ``.git`` (in any case) segment, a backslash or a control character."""
    if not value or not value.isprintable() or "\\" in value:
        return True
    return any(part in ("", ".", "..") or part.casefold() == ".git" for part in value.split("/"))


def _check_paths(config: Config, where: str) -> None:
    for key in PATH_KEYS:
        value = getattr(config, key)
        if path_problem(value):
            raise ConfigError(f"{where}: {key} must be {PATH_RULE}, got {value!r}")
