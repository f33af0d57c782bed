"""Where a JSON pointer points in a document's text, found by walking to it.

A source map of the whole document (json-source-map) costs about 300 bytes of memory per
value: a 6 MB manifest padded with two million empty objects took 1.7 GB. The walk keeps
nothing: it reads the keys on the pointer's way and skips every other value with the
standard library's decoder (one value at a time, freed at once).
"""

from __future__ import annotations

import json

_WHITE = " \t\n\r"
_DECODER = json.JSONDecoder()


def locate(text: str, pointer: str) -> tuple[int, int] | None:
    """1-based (line, column) of the value at ``pointer`` in ``text`` (the last of a key
    given twice, as a parse keeps it); None when the text does not lead there."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    try:
        at = _skip(text, 0)
        for part in parts:
            found = _in_object(text, at, part) if text[at] == "{" else None
            if text[at] == "[":
                found = _in_array(text, at, part)
            if found is None:
                return None
            at = found
    except (ValueError, IndexError, RecursionError):
        return None
    line = text.count("\n", 0, at) + 1
    return line, at - text.rfind("\n", 0, at)


def _skip(text: str, at: int) -> int:
    while text[at] in _WHITE:
        at += 1
    return at


def _in_object(text: str, at: int, key: str) -> int | None:
    """Where the value of ``key`` starts in the object at ``at`` (its last one)."""
    found, at = None, _skip(text, at + 1)
    while text[at] != "}":
        name, at = _DECODER.raw_decode(text, at)
        if not isinstance(name, str):
            return None
        at = _skip(text, at)
        if text[at] != ":":
            return None
        at = _skip(text, at + 1)
        if name == key:
            found = at
        _value, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return found


def _in_array(text: str, at: int, index: str) -> int | None:
    """Where item ``index`` starts in the array at ``at``."""
    if not index.isascii() or not index.isdigit():
        return None
    wanted, at = int(index), _skip(text, at + 1)
    for _ in range(wanted):
        if text[at] == "]":
            return None
        _value, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return None if text[at] == "]" else at
