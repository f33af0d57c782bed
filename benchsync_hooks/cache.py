"""A content-addressed cache of verdicts under ``.git/benchsync/``.

Keys are git blob ids, so an entry can never go stale: the same id is the same
bytes. The file is append-only (one JSON array per line after a header line), so
a run that learned about one new blob writes one line, not the whole cache. It
is started afresh when the package version, the schema or the configuration
that shaped the verdicts changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from . import __version__

CACHE_NAME = "cache-v2.jsonl"


class BlobCache:
    """blob id → JSON-able facts, loaded on first use, new entries appended on save."""

    def __init__(self, directory: Path | None, key: str) -> None:
        self._path = directory / CACHE_NAME if directory else None
        self._key = hashlib.sha256(f"{__version__}\x1f{key}".encode()).hexdigest()
        self._data: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        self._fresh = True
        self._loaded = False

    def _ensure(self) -> None:
        if not self._loaded:
            self._loaded = True
            if self._path is not None:
                self._load(self._path)

    def _load(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        header, _, body = text.partition("\n")
        if header != self._key:
            return
        lines = body.splitlines()
        if lines and not lines[-1].endswith("]"):
            lines.pop()  # a torn last line from an interrupted write
        try:
            pairs = json.loads("[" + ",".join(lines) + "]")
        except ValueError:
            return
        self._data = {blob: value for blob, value in pairs}
        self._fresh = False

    @property
    def key(self) -> str:
        return self._key

    def get(self, blob: str) -> Any:
        self._ensure()
        return self._data.get(blob)

    def put(self, blob: str, value: Any) -> None:
        self._ensure()
        if self._data.get(blob) != value:
            self._data[blob] = value
            self._new[blob] = value

    def close(self) -> None:
        """Drop what was loaded (after :meth:`save`), to give the memory back."""
        self._data = {}
        self._new = {}
        self._loaded = False

    def save(self) -> None:
        """Append what is new; a failure to cache is never an error."""
        if self._path is None or not self._loaded or not (self._new or self._fresh):
            return
        lines = (
            json.dumps([blob, value], separators=(",", ":")) + "\n"
            for blob, value in self._new.items()
        )
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            if self._fresh:
                tmp = self._path.with_name(f".{CACHE_NAME}.{os.getpid()}")
                with tmp.open("w", encoding="utf-8") as handle:
                    handle.write(self._key + "\n")
                    handle.writelines(lines)
                tmp.replace(self._path)
                self._fresh = False
            else:
                with self._path.open("a", encoding="utf-8") as handle:
                    handle.writelines(lines)
            self._new.clear()
        except OSError:
            return
