"""A content-addressed cache of verdicts under ``.git/benchsync/``.

Keys are git blob ids, so an entry can never go stale: the same id is the same
bytes. The whole file is dropped when the package version, the schema or the
configuration that shaped the verdicts changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from . import __version__

CACHE_NAME = "cache-v1.json"


class BlobCache:
    """blob id → JSON-able facts, loaded once and saved only when it grew."""

    def __init__(self, directory: Path | None, key: str) -> None:
        self._path = directory / CACHE_NAME if directory else None
        self._key = hashlib.sha256(f"{__version__}\x1f{key}".encode()).hexdigest()
        self._data: dict[str, Any] = {}
        self._dirty = False
        if self._path is not None:
            self._data = self._load(self._path)

    def _load(self, path: Path) -> dict[str, Any]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict) or doc.get("key") != self._key:
            return {}
        blobs = doc.get("blobs")
        return blobs if isinstance(blobs, dict) else {}

    def get(self, blob: str) -> Any:
        return self._data.get(blob)

    def put(self, blob: str, value: Any) -> None:
        if self._data.get(blob) != value:
            self._data[blob] = value
            self._dirty = True

    def save(self) -> None:
        """Write atomically; a failure to cache is never an error."""
        if not self._dirty or self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".cache-", dir=self._path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"key": self._key, "blobs": self._data}, handle, separators=(",", ":"))
            os.replace(tmp, self._path)
            self._dirty = False
        except OSError:
            return
