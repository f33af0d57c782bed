"""Leaderboard schema checks: compiled validator for the verdict, jsonschema to explain.

The verdict comes from ``jsonschema_rs`` (compiled, microseconds per document).
Only a document it rejects is handed to the reference ``jsonschema`` validator,
whose errors are reduced to the ones worth showing and given positions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import ConfigError
from .jsondoc import JsonDoc, pointer_of
from .report import Problem

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

LEADERBOARD_SCHEMA = "leaderboard-v1.json"
MANIFEST_SCHEMA = "manifest-v1.json"

_PATTERN_NAMES = {
    r"^\d+\.\d+\.\d+(\.\d+)?$": "a release version X.Y.Z or X.Y.Z.W",
    r"^(\d+\.\d+\.\d+(\.\d+)?|N/A)$": "a version X.Y.Z, X.Y.Z.W or N/A",
    r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$": "a lower-case UUID",
    r"^[0-9a-f]{64}$": "64 lower-case hex digits",
}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bundled_schema(name: str) -> dict[str, Any]:
    """A schema shipped in the package."""
    text = (Path(__file__).parent / "schemas" / name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@lru_cache(maxsize=8)
def _schema_from(path: str) -> str:
    """The text of a user-given schema file (cached per process)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        json.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read schema: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: schema is not valid JSON: {exc}") from None
    return text


class SchemaChecker:
    """One compiled validator (and, on demand, one explaining validator) per schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        import jsonschema_rs

        self.schema = dict(schema)
        try:
            self._fast = jsonschema_rs.validator_for(self.schema, validate_formats=False)
        except Exception as exc:
            raise ConfigError(f"the leaderboard schema is not a valid JSON Schema: {exc}") from None
        self._slow: Any = None

    def is_valid(self, value: Any) -> bool:
        return bool(self._fast.is_valid(value))

    def _explainer(self) -> Any:
        if self._slow is None:
            from jsonschema import validators

            cls = validators.validator_for(self.schema)
            self._slow = cls(self.schema)
        return self._slow

    def explain(self, value: Any) -> list[ValidationError]:
        """The leaf errors worth showing, for a value the fast validator rejected."""
        errors: list[ValidationError] = []
        for error in self._explainer().iter_errors(value):
            errors.extend(_leaves(error))
        return errors

    def problems(self, doc: JsonDoc) -> list[Problem]:
        if self.is_valid(doc.value):
            return []
        return [_problem(doc, err) for err in self.explain(doc.value)]


_CHECKERS: dict[str, SchemaChecker] = {}


def checker_for(schema_path: str = "") -> SchemaChecker:
    """The process-wide checker for a schema file ("" = the bundled one)."""
    key = str(Path(schema_path).resolve()) if schema_path else ""
    checker = _CHECKERS.get(key)
    if checker is None:
        schema = json.loads(_schema_from(key)) if key else bundled_schema(LEADERBOARD_SCHEMA)
        checker = SchemaChecker(schema)
        _CHECKERS[key] = checker
    return checker


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """Reduce oneOf/anyOf failures to the branch that fits the value's type."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        by_branch.setdefault(int(sub.schema_path[0]), []).append(sub)
    fitting = {
        index: subs
        for index, subs in by_branch.items()
        if not any(s.validator == "type" and not s.relative_path for s in subs)
    }
    if len(fitting) == 1:
        for sub in next(iter(fitting.values())):
            yield from _leaves(sub)
        return
    yield error


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _where(pointer: str) -> str:
    return pointer if pointer else "the top level"


def message_for(error: ValidationError) -> str:
    """A one-line message for a leaf error, never a repr of a large value."""
    kind: Any = error.validator
    value: Any = error.instance
    expected: Any = error.validator_value
    context: list[ValidationError] = list(error.context or [])
    if kind == "required":
        missing = [k for k in expected if isinstance(value, dict) and k not in value]
        name = missing[0] if missing else "?"
        for candidate in missing:
            if repr(candidate) in error.message:
                name = candidate
        return f"missing required key {name!r} in {_where(pointer_of(error.absolute_path))}"
    if kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return f"expected {wanted}, got {_json_type(value)} {_short(value)}"
    if kind == "enum":
        return f"{_short(value)} is not one of: {', '.join(str(v) for v in expected)}"
    if kind == "const":
        return f"{_short(value)} must be {json.dumps(expected)}"
    if kind == "pattern":
        return f"{_short(value)} is not {_PATTERN_NAMES.get(expected, 'matching ' + expected)}"
    if kind == "minimum":
        return f"{_short(value)} is below the minimum {expected}"
    if kind == "maximum":
        return f"{_short(value)} is above the maximum {expected}"
    if kind in ("anyOf", "oneOf"):
        options: list[str] = []
        for sub in context:
            required: Any = sub.validator_value
            if sub.validator == "required":
                options.extend(repr(k) for k in required)
        if options and all(s.validator == "required" for s in context):
            return f"needs at least one of {', '.join(options)}"
        kinds = sorted(
            {
                str(s.validator_value)
                for s in context
                if s.validator == "type" and not s.relative_path
            }
        )
        if kinds:
            return f"expected {' or '.join(kinds)}, got {_json_type(value)} {_short(value)}"
        return f"{_short(value)} does not match any allowed form"
    text = error.message
    return text if len(text) <= 120 else text[:119] + "…"


def _problem(doc: JsonDoc, error: ValidationError) -> Problem:
    pointer = pointer_of(error.absolute_path)
    line, col = doc.position(pointer)
    return Problem(doc.path, line, col, f"schema-{error.validator}", message_for(error), pointer)


def entries(value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The result objects in a document with their pointers (object or array)."""
    if isinstance(value, dict):
        yield "", value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"/{index}", item


def _get(obj: Mapping[str, Any], *keys: str) -> Any:
    node: Any = obj
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def parse_datetime(text: str) -> datetime | None:
    """An RFC 3339 date-time with its offset, or None."""
    if not _RFC3339.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def documented_rules(doc: JsonDoc, config: Config) -> list[Problem]:
    """Rules the website documents but its schema does not enforce."""
    problems: list[Problem] = []
    for base, entry in entries(doc.value):
        problems.extend(_entry_rules(doc, base, entry, config))
    return problems


def _entry_rules(
    doc: JsonDoc, base: str, entry: dict[str, Any], config: Config
) -> Iterable[Problem]:
    config_type = entry.get("config_type")
    cluster = entry.get("cluster")
    if (
        config.enabled("cluster-single-node")
        and config_type in ("single_gpu", "multi_gpu")
        and cluster is not None
    ):
        pointer = f"{base}/cluster"
        line, col = doc.position(pointer)
        yield Problem(
            doc.path,
            line,
            col,
            "cluster-single-node",
            f"cluster must be null when config_type is {config_type!r}; "
            "set it to null or use multi_node",
            pointer,
        )
    submitted = _get(entry, "metadata", "submitted_at")
    if (
        config.enabled("format-date-time")
        and isinstance(submitted, str)
        and parse_datetime(submitted) is None
    ):
        pointer = f"{base}/metadata/submitted_at"
        line, col = doc.position(pointer)
        yield Problem(
            doc.path,
            line,
            col,
            "format-date-time",
            f"{_short(submitted)} is not an RFC 3339 date-time with offset "
            "(e.g. 2026-01-30T01:50:34+00:00)",
            pointer,
        )
    released = _get(entry, "metadata", "release_date")
    if config.enabled("format-date") and isinstance(released, str) and not _is_date(released):
        pointer = f"{base}/metadata/release_date"
        line, col = doc.position(pointer)
        yield Problem(
            doc.path,
            line,
            col,
            "format-date",
            f"{_short(released)} is not a calendar date YYYY-MM-DD",
            pointer,
        )


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_document(doc: JsonDoc, config: Config, schema_path: str = "") -> list[Problem]:
    """All schema problems of a parsed document: the schema, then the documented rules."""
    problems = checker_for(schema_path).problems(doc)
    problems.extend(documented_rules(doc, config))
    return problems
