"""Leaderboard schema checks: compiled validator for the verdict, jsonschema to explain.

The verdict comes from ``jsonschema_rs`` (compiled, microseconds per document).
Only a document it rejects is handed to the reference ``jsonschema`` validator,
whose errors are reduced to the ones worth showing and given positions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..report import Problem
from .jsondoc import JsonDoc, pointer_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

LEADERBOARD_SCHEMA = "leaderboard-v1.json"

_PATTERN_NAMES = {
    r"^\d+\.\d+\.\d+(\.\d+)?$": "a release version X.Y.Z or X.Y.Z.W",
    r"^(\d+\.\d+\.\d+(\.\d+)?|N/A)$": "a version X.Y.Z, X.Y.Z.W or N/A",
    r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$": "a lower-case UUID",
    r"^[0-9a-f]{64}$": "64 lower-case hex digits",
    r"^[0-9a-f]{40}$": "a git object id (40 lower-case hex digits)",
    r"^[0-9a-f]{16}$": "16 lower-case hex digits",
    r"^(?!/)(?!.*(^|/)\.\.?(/|$))[^\\\u0000]+$": (
        "a relative path that stays inside the repository (no leading /, no . or .. part)"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": "an ASCII name (letters, digits, '.', '_', '-')",
}


#: The most schema problems one file reports (then one ``schema-many`` line).
MAX_SHOWN = 100
#: The most items of an array document the explainer is given (see ``problems``).
EXPLAIN_ITEMS = 1_000


def bundled_schema(name: str) -> dict[str, Any]:
    """A schema shipped in the package."""
    text = (Path(__file__).parent.parent / "schemas" / name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class SchemaChecker:
    """One compiled validator (the verdict) and, on demand, one explaining validator."""

    def __init__(self, schema: Mapping[str, Any], *, name: str = "the leaderboard schema") -> None:
        import jsonschema_rs

        self.schema = dict(schema)
        try:
            self._fast = jsonschema_rs.validator_for(self.schema, validate_formats=False)
        except Exception as exc:
            raise ConfigError(f"{name} is not a valid JSON Schema: {exc}") from None
        self._slow: Any = None

    def is_valid(self, value: Any) -> bool:
        try:
            return bool(self._fast.is_valid(value))
        except (ValueError, OverflowError, UnicodeError):  # a value it cannot take is no pass
            return False

    def _explainer(self) -> Any:
        if self._slow is None:
            from jsonschema import validators

            cls = validators.validator_for(self.schema)
            self._slow = cls(self.schema)
        return self._slow

    def explain(self, value: Any) -> list[ValidationError]:
        """The leaf errors worth showing, for a value the fast validator rejected (at most
        :data:`MAX_SHOWN` and one more: an array of 200,000 bad objects has millions)."""
        leaves = (leaf for error in self._explainer().iter_errors(value) for leaf in _leaves(error))
        return list(islice(leaves, MAX_SHOWN + 1))

    def verdict_only(self, value: Any) -> list[tuple[str, str, str]]:
        """(pointer, keyword, message) of the compiled validator's own errors: what is said
        when the explainer finds nothing (its regular expressions differ from ECMA-262)."""
        found: list[tuple[str, str, str]] = []
        try:
            for error in islice(self._fast.iter_errors(value), MAX_SHOWN + 1):
                pointer = pointer_of(getattr(error, "instance_path", ()) or ())
                kind = getattr(error, "kind", None)
                keyword = type(kind).__name__.rsplit("_", 1)[-1].lower() if kind else "invalid"
                found.append((pointer, _keyword(keyword), _clip(str(error.message))))
        except (ValueError, OverflowError, UnicodeError) as exc:
            found.append(("", "invalid", _clip(str(exc))))
        return found or [("", "invalid", "the compiled validator rejects this document")]

    def problems(self, doc: JsonDoc) -> list[Problem]:
        """Every schema problem of a document: never none when the verdict is invalid."""
        value = doc.value
        if self.is_valid(value):
            return []
        # The explainer builds every error of every branch of a oneOf before the first is
        # seen: an array of 200,000 bad results would take gigabytes. Past EXPLAIN_ITEMS
        # items it explains the first ones, when they hold a problem (the verdict is the
        # whole document's, above); else the compiled validator's own words.
        if isinstance(value, list) and len(value) > EXPLAIN_ITEMS:
            head = value[:EXPLAIN_ITEMS]
            value = head if not self.is_valid(head) else None
        explained = [] if value is None else [_problem(doc, err) for err in self.explain(value)]
        if not explained:
            explained = [
                Problem(doc.path, *doc.position(pointer), f"schema-{keyword}", message, pointer)
                for pointer, keyword, message in self.verdict_only(doc.value)
            ]
        if len(explained) <= MAX_SHOWN:
            return explained
        return [
            *explained[:MAX_SHOWN],
            Problem(
                doc.path,
                0,
                0,
                "schema-many",
                f"more than {MAX_SHOWN} schema problems: the first {MAX_SHOWN} are shown; fix "
                "those and check again",
            ),
        ]


def _keyword(name: str) -> str:
    known = {"pattern": "pattern", "required": "required", "type": "type", "enum": "enum"}
    return known.get(name, name if name.isalpha() else "invalid")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:119] + "…"


_CHECKERS: dict[str, SchemaChecker] = {}


def checker_for(schema_text: str = "", *, name: str = "") -> SchemaChecker:
    """The process-wide checker for a schema given as text ("" = the bundled one).

    Keyed by the schema's content, never by its path: a schema edited in place is a
    new schema.
    """
    checker = _CHECKERS.get(schema_text)
    if checker is None:
        if schema_text:
            try:
                schema = json.loads(schema_text)
            except ValueError as exc:
                raise ConfigError(f"{name or 'schema'}: schema is not valid JSON: {exc}") from None
            if not isinstance(schema, dict):
                raise ConfigError(f"{name or 'schema'}: a JSON Schema is an object")
        else:
            schema = bundled_schema(LEADERBOARD_SCHEMA)
        checker = SchemaChecker(schema, name=name or "the leaderboard schema")
        _CHECKERS[schema_text] = checker
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
