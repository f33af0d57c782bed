"""The manifest memo: what the last manifest run learned about each path, under .git."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class Memo:
    """path → one record ``blob\\tconfig blob\\ttarget\\tentry ids\\tmanifest block``.

    One line per path (the block's newlines stored as \\x1e); records are kept
    as strings and split only when used, so 10,000 paths load in a few ms.
    """

    NAME = "manifest-memo-v3.tsv"

    def __init__(self, directory: Path, key: str) -> None:
        self._path = directory / self.NAME
        self._key = key
        self._data: dict[str, str] = {}
        try:
            text = self._path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        header, _, body = text.partition("\n")
        if header != key:
            return
        for line in body.split("\n"):
            path, tab, record = line.partition("\t")
            if tab and record.count("\t") == 4:
                self._data[path] = record

    @staticmethod
    def record(blob: str, cfg: str, target: str, ids: Iterable[str], text_block: str) -> str:
        return f"{blob}\t{cfg}\t{target}\t{','.join(ids)}\t" + text_block.replace("\n", "\x1e")

    def get(self, path: str) -> str | None:
        return self._data.get(path)

    def replace(self, data: dict[str, str]) -> None:
        """Keep exactly ``data``; written only when it differs (failures are ignored)."""
        if data == self._data:
            return
        self._data = data
        try:
            tmp = self._path.with_name(f".{self.NAME}.{os.getpid()}")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("w", encoding="utf-8") as handle:
                handle.write(self._key + "\n")
                handle.writelines(
                    f"{path}\t{record}\n" for path, record in data.items() if "\t" not in path
                )
            tmp.replace(self._path)
        except OSError:
            return
