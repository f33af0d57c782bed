"""Reading a manifest (v1 or v2) from a source commit, and pointing into its text.

A v2 manifest exactly as :func:`.manifest.render` writes it is read block by block with
one pattern; any other text goes to the C parser without hooks, then the shipped JSON
Schema of its format. Duplicate keys do not matter to a reader that verifies every
claim, and the benchmark side compares the whole text with the one it renders.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..config import Config
from ..errors import IntegrityError
from ..report import Problem
from .manifest import (
    BLOCK,
    FORMAT,
    FORMATS,
    MAX_ENTRIES,
    MAX_MANIFEST_BYTES,
    Manifest,
    ManifestFile,
)

REGENERATE = "regenerate it with 'benchsync manifest --rebuild' in the benchmark repo"


def _fail(
    display: str, rule: str, message: str, *, at: tuple[int, int] = (0, 0), fix: str = REGENERATE
) -> IntegrityError:
    line, col = at
    where = f"{display}:{line}:{col}" if line else display
    return IntegrityError(f"{where}: {rule} {message}; {fix}")


_HEAD = re.compile(
    r'\{\n  "format": "benchsync-manifest/v2",\n'
    r'  "source_root": "(?P<source_root>[A-Za-z0-9._/-]+)",\n'
    r'  "target_root": "(?P<target_root>[A-Za-z0-9._/-]+)",\n'
    r'  "rules": "(?P<rules>[0-9a-f]{16})",\n'
    r'  "files": (?:\[\]\n\}\n\Z|\[\n)'
)


def rendered_start(text: str, *, config: Config) -> int | None:
    """Where the entries of a manifest rendered with ``config``'s roots start (None for
    any other head, or no entries)."""
    head = _HEAD.match(text)
    if head is None or not text.startswith("[\n", head.end() - 2):
        return None
    if (head["source_root"], head["target_root"]) != (config.source_root, config.target_root):
        return None
    return head.end()


def _rendered(data: bytes | str, display: str) -> tuple[Manifest, ManifestText] | None:
    """A v2 manifest exactly as :func:`render` writes it, read block by block with one
    pattern (no JSON objects are built: a fraction of the time and memory of a parse);
    None for any other text, which is then parsed and validated as JSON."""
    if isinstance(data, str):
        text = data
    elif data.isascii():
        text = data.decode("ascii")
    else:
        return None
    head = _HEAD.match(text)
    if head is None or "/." in text or '": "/' in text or '": ".' in text:
        return None  # absolute paths and dot segments are left to the JSON Schema (relpath)
    files: list[ManifestFile] = []
    make = tuple.__new__
    at, end = head.end(), len(text) - len("\n  ]\n}\n")
    while at < len(text):
        match = BLOCK.match(text, at, end)
        if match is None:
            return None
        values = match.group(*ManifestFile._fields)
        files.append(make(ManifestFile, (*values[:3], int(values[3]), *values[4:])))
        at = match.end()
        if at == end and text.endswith("\n  ]\n}\n"):
            break
        if not text.startswith(",\n", at):
            return None
        at += 2
    manifest = Manifest(
        FORMAT, head["source_root"], head["target_root"], head["rules"], tuple(files)
    )
    return manifest, ManifestText(display, b"", text=text)


#: The most JSON values (counted by their commas and opening brackets) one entry holds,
#: with room to spare: an entry is one object of eleven keys.
VALUES_PER_ENTRY = 16


def load(data: bytes | str, display: str) -> tuple[Manifest, ManifestText]:
    """Parse and validate a manifest (v1 or v2) from its bytes, or its text when it is
    ASCII; an :class:`IntegrityError` names what is wrong."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise _fail(display, "manifest-size", f"is {len(data):,} bytes; refusing it")
    entries = data.count('"source"') if isinstance(data, str) else data.count(b'"source"')
    if entries > MAX_ENTRIES:
        raise _fail(display, "manifest-size", f"lists {entries:,} files, over {MAX_ENTRIES:,}")
    rendered = _rendered(data, display)
    if rendered is not None:
        return rendered
    if isinstance(data, str):
        values = data.count(",") + data.count("{") + data.count("[")
    else:
        values = data.count(b",") + data.count(b"{") + data.count(b"[")
    if values > MAX_ENTRIES * VALUES_PER_ENTRY:  # (a parse's memory grows with each value)
        raise _fail(
            display,
            "manifest-size",
            f"holds {values:,} JSON values, more than {MAX_ENTRIES:,} entries have; refusing it",
        )
    try:
        value = json.loads(data)
    except UnicodeDecodeError as exc:
        raise _fail(display, "manifest-schema", f"byte {exc.start} is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _fail(display, "manifest-schema", exc.msg, at=(exc.lineno, exc.colno)) from None
    except RecursionError:
        raise _fail(display, "manifest-schema", "is nested too deeply to be a manifest") from None
    except ValueError as exc:
        if "digits" in str(exc):  # (Python's limit on int conversion, CVE-2020-10735)
            raise _fail(display, "manifest-schema", "holds a number of over 4,300 digits") from None
        raise _fail(display, "manifest-schema", f"is not a JSON document ({exc})") from None
    found = (
        ManifestText(display, b"", text=data)
        if isinstance(data, str)
        else ManifestText(display, data)
    )
    fmt = _format_of(value, found)
    _validate(value, FORMATS[fmt], found)
    items = value["files"]
    for n, f in enumerate(items):  # in place: each dict is freed as its tuple is made
        items[n] = ManifestFile(
            f["source"],
            f["target"],
            f["sha256"],
            int(f["size"]),  # (JSON Schema's integer takes 12.0 too)
            f.get("blob"),
            f.get("config_blob"),
            f.get("target_blob"),
            f["entry_id"],
            f["backend"],
            f["model"],
            f["run_id"],
        )
    files = tuple(items)
    items.clear()
    rules = value.get("rules", "")
    return Manifest(fmt, value["source_root"], value["target_root"], rules, files), found


def _format_of(value: Any, found: ManifestText) -> str:
    """The manifest's ``format``, one this version reads; else one line that says what
    it holds instead (nothing of another type is looked up, compared or sliced)."""
    if not isinstance(value, dict):
        raise _fail(
            found.display,
            "manifest-schema",
            f"is {_kind(value)}, not a manifest (a JSON object with format, roots and files)",
            at=(1, 1),
        )
    fmt = value.get("format")
    if isinstance(fmt, str) and fmt in FORMATS:
        return fmt
    if isinstance(fmt, str):
        raise _fail(
            found.display,
            "manifest-format",
            f"format {json.dumps(fmt)[:60]} is not one this benchsync reads ({', '.join(FORMATS)})",
            at=found.position("/format"),
            fix="use the same benchsync-hooks version on both sides",
        )
    what = "is missing" if "format" not in value else f"is {_kind(fmt)}, not a string"
    raise _fail(
        found.display,
        "manifest-format",
        f"format {what} (expected one of {', '.join(FORMATS)})",
        at=found.position("/format"),  # (the object's start when it is missing)
    )


def _kind(value: Any) -> str:
    """What a JSON value is, for a message: ``an array``, ``a number``, ``null``..."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


_CHECKERS: dict[str, Any] = {}


def _validate(value: Any, schema_name: str, found: ManifestText) -> None:
    from ..check.schema import SchemaChecker, bundled_schema, message_for

    checker = _CHECKERS.get(schema_name)
    if checker is None:
        checker = SchemaChecker(bundled_schema(schema_name), name=schema_name)
        _CHECKERS[schema_name] = checker
    if checker.is_valid(value):
        return
    from ..check.jsondoc import pointer_of

    errors = checker.explain(value)
    if errors:
        pointer, message = pointer_of(errors[0].absolute_path), message_for(errors[0])
    else:
        pointer, _keyword, message = checker.verdict_only(value)[0]
    raise _fail(
        found.display,
        "manifest-schema",
        f"{message} at {pointer or '/'}",
        at=found.position(pointer),
    )


_KEY = re.compile(r'\n {6}"([a-z_]+)": ')


class ManifestText:
    """A manifest's text, to point at ``/files/N/key`` without a parse with positions.

    The rendered layout puts entry N's keys on lines of their own; a text of another
    layout falls back to a full source map (slower, only on the way to an error)."""

    def __init__(self, display: str, data: bytes, *, text: str | None = None) -> None:
        self.display = display
        self._data = data
        self._text: str | None = text
        self._starts: list[int] | None = None

    @property
    def text(self) -> str:
        """The manifest as text, decoded when a position is first asked for."""
        if self._text is None:
            self._text = self._data.decode("utf-8", "replace")
        return self._text

    def _entries(self) -> list[int]:
        if self._starts is None:
            starts, at = [], self.text.find('"files": [')
            while at >= 0:
                at = self.text.find("\n    {", at + 1)
                if at >= 0:
                    starts.append(at + 5)
            self._starts = starts
        return self._starts

    def position(self, pointer: str) -> tuple[int, int]:
        """1-based (line, column) of the value at ``pointer``."""
        parts = pointer.split("/")[1:]
        if len(parts) >= 2 and parts[0] == "files" and parts[1].isascii() and parts[1].isdigit():
            starts = self._entries()
            index = int(parts[1])
            if index < len(starts):
                at = starts[index]
                if len(parts) == 2:
                    return self._line_col(at)
                end = starts[index + 1] if index + 1 < len(starts) else len(self.text)
                for match in _KEY.finditer(self.text, at, end):
                    if match.group(1) == parts[2]:
                        return self._line_col(match.end())
        return self._mapped(pointer)

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - self.text.rfind("\n", 0, offset)

    def _mapped(self, pointer: str) -> tuple[int, int]:
        """The position of a text of another layout, walked to (no source map: its memory
        grows with the values of the whole document)."""
        from ..check.locate import locate

        return locate(self.text, pointer) or (1, 1)

    def problem(self, index: int, key: str, rule: str, *, message: str) -> Problem:
        """A false claim at ``/files/index/key``."""
        pointer = f"/files/{index}/{key}" if key else f"/files/{index}"
        line, col = self.position(pointer)
        return Problem(self.display, line, col, rule, message, pointer)
