"""Strict JSON loading with positions.

The fast path is the C parser of the standard library; positions (JSON pointer
to line and column) are computed only when a problem must be reported.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from ..report import Problem
from .canonical import canonical

_CONSTANT_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|([\[{])|([\]}])')


class _Pairs(dict[str, Any]):
    """A JSON object that remembers which keys it saw twice."""

    duplicates: list[str]


class JsonDoc:
    """A parsed JSON document and a lazily built map from pointers to positions."""

    __slots__ = ("_canonical", "_map", "path", "text", "value")

    def __init__(self, path: str, text: str, value: Any, *, positions: bool = True) -> None:
        self.path = path
        self.text = text
        self.value = value
        # (None: built when first asked for; {}: no positions wanted, every one is 1:1)
        self._map: dict[str, Any] | None = None if positions else {}
        self._canonical: bytes | None = None

    @property
    def canonical(self) -> bytes:
        """The bytes the website stores for this value (:func:`.canonical.canonical`), made
        once per document: the checks and the write both need them."""
        if self._canonical is None:
            self._canonical = canonical(self.value)
        return self._canonical

    def position(self, pointer: str, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value (or key) at ``pointer``."""
        if self._map is None:
            from json_source_map import calculate

            try:
                self._map = calculate(self.text)
            except Exception:  # pragma: no cover - text was already parsed by json
                self._map = {}
        entry = self._map.get(pointer)
        while entry is None and pointer:
            pointer = pointer.rsplit("/", 1)[0]
            entry = self._map.get(pointer)
        if entry is None:
            return (1, 1)
        loc = entry.key_start if key and entry.key_start is not None else entry.value_start
        return (loc.line + 1, loc.column + 1)


def pointer_of(parts: Iterable[object]) -> str:
    """RFC 6901 pointer for a sequence of keys and indexes."""
    out = []
    for part in parts:
        out.append("/" + str(part).replace("~", "~0").replace("/", "~1"))
    return "".join(out)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def parse(
    data: bytes, display: str, *, max_depth: int | None, positions: bool = True
) -> tuple[JsonDoc | None, list[Problem]]:
    """Strictly parse ``data``; return the document or the problems that stop it.

    ``max_depth=None`` skips the nesting scan, for documents whose schema bounds
    their depth anyway; a recursion error of the parser is still a clean problem.
    ``positions=False``: problems inside the document are placed at 1:1 (the source map
    of a large document costs seconds; a caller that keeps only the rules skips it).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [
            Problem(
                display,
                1,
                1,
                "json-encoding",
                "file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        where = _line_col(prefix, len(prefix))
        message = f"byte 0x{data[exc.start]:02x} is not valid UTF-8; save the file as UTF-8"
        return None, [_encoding(display, where, message)]
    if not text.strip():
        return None, [
            Problem(display, 0, 0, "json-empty", "file is empty; write the result object")
        ]
    if max_depth is not None and text.count("[") + text.count("{") > max_depth:
        too_deep = _depth_offset(text, max_depth)
        if too_deep is not None:
            line, col = _line_col(text, too_deep)
            return None, [_deep(display, line, col, max_depth=max_depth)]
    constants: list[str] = []
    dup_seen = [False]

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = _Pairs(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            dups = []
            for key, _ in pairs:
                if key in seen and key not in dups:
                    dups.append(key)
                seen.add(key)
            obj.duplicates = dups
            dup_seen[0] = True
        return obj

    def constant_hook(name: str) -> float:
        constants.append(name)
        return 0.0

    huge: list[str] = []

    def float_hook(literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            huge.append(literal)
        return value

    try:
        value = json.loads(
            text,
            object_pairs_hook=pairs_hook,
            parse_constant=constant_hook,
            parse_float=float_hook,
        )
    except json.JSONDecodeError as exc:
        return None, [_syntax(display, text, exc)]
    except RecursionError:
        return None, [_deep(display, 1, 1, max_depth=max_depth or sys.getrecursionlimit())]
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return None, [_too_long_number(display, text, exc)]
    escape = _SURROGATE_ESCAPE.search(text)
    if escape is not None and _has_lone_surrogate(value):
        message = (
            "a \\u escape names half of a UTF-16 surrogate pair, which is no character; "
            "write the character itself"
        )
        return None, [_encoding(display, _line_col(text, escape.start()), message)]
    doc = JsonDoc(display, text, value, positions=positions)
    problems: list[Problem] = []
    if constants:
        for match in _CONSTANT_OR_STRING.finditer(text):
            if match.group(1):
                line, col = _line_col(text, match.start(1))
                problems.append(
                    Problem(
                        display,
                        line,
                        col,
                        "json-constant",
                        f"{match.group(1)} is not valid JSON; write a number or null",
                    )
                )
    for literal in dict.fromkeys(huge):
        line, col = _line_col(text, max(text.find(literal), 0))
        problems.append(
            Problem(
                display,
                line,
                col,
                "json-constant",
                f"{literal[:40]} is too large for a number (it overflows to infinity); "
                "write a smaller value",
            )
        )
    if dup_seen[0]:
        for pointer, obj in _objects(value):
            for key in getattr(obj, "duplicates", ()):
                line, col = doc.position(pointer_of([*_split(pointer), key]), key=True)
                problems.append(
                    Problem(
                        display,
                        line,
                        col,
                        "json-duplicate-key",
                        f"key {key!r} appears more than once in this object; keep one",
                        pointer_of([*_split(pointer), key]),
                    )
                )
    if problems:
        return None, problems
    return doc, []


def _encoding(display: str, where: tuple[int, int], message: str) -> Problem:
    return Problem(display, where[0], where[1], "json-encoding", message)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONG_NUMBER = re.compile(r"-?[0-9]{1000,}")


def _has_lone_surrogate(value: Any) -> bool:
    """True when a decoded string holds half a surrogate pair (not encodable as UTF-8)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _too_long_number(display: str, text: str, exc: ValueError) -> Problem:
    found = _LONG_NUMBER.search(text)
    line, col = _line_col(text, found.start()) if found else (1, 1)
    return Problem(
        display,
        line,
        col,
        "json-syntax",
        f"a number has too many digits ({str(exc).split(';')[0]}); write it with fewer digits",
    )


def _syntax(display: str, text: str, exc: json.JSONDecodeError) -> Problem:
    """Where the JSON breaks; a comma before a closing bracket (which Python's parser
    reports at the bracket) is named at the comma."""
    closer = text[exc.pos : exc.pos + 1]
    before = text[: exc.pos].rstrip()
    if closer in ("}", "]") and before.endswith(","):
        line, col = _line_col(text, len(before) - 1)
        return Problem(
            display, line, col, "json-syntax", f"invalid JSON: a comma before '{closer}'; remove it"
        )
    return Problem(
        display,
        exc.lineno,
        exc.colno,
        "json-syntax",
        f"invalid JSON: {exc.msg}; fix the syntax there",
    )


def _deep(display: str, line: int, col: int, *, max_depth: int) -> Problem:
    return Problem(
        display,
        line,
        col,
        "json-depth",
        f"nesting is deeper than {max_depth} levels (config max_depth); flatten the document",
    )


def _depth_offset(text: str, max_depth: int) -> int | None:
    """Offset of the first bracket that opens level ``max_depth + 1``, if any."""
    depth = 0
    for match in _BRACKET_OR_STRING.finditer(text):
        if match.group(1):
            depth += 1
            if depth > max_depth:
                return match.start(1)
        elif match.group(2):
            depth -= 1
    return None


def _split(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _objects(value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in ``value`` with its pointer, without recursion."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, dict):
            yield pointer, node
            stack.extend((pointer_of([*_split(pointer), k]), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((pointer_of([*_split(pointer), i]), v) for i, v in enumerate(node))
