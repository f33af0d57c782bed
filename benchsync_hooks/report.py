"""Problems as values, and the reporters that print them in one place."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TextIO

FORMATS = ("text", "json", "github")


class Problem(NamedTuple):
    """One thing wrong with one file.

    ``line``/``column`` are 1-based and point at the offending value; both are 0
    when the problem concerns the path itself rather than a place inside the file.
    """

    path: str
    line: int
    column: int
    rule: str
    message: str
    pointer: str = ""

    def text(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}"
        return f"{self.path}: {self.rule} {self.message}"

    def github(self) -> str:
        props = f"file={_gh_prop(self.path)}"
        if self.line:
            props += f",line={self.line},col={self.column}"
        props += f",title={_gh_prop(self.rule)}"
        return f"::error {props}::{_gh_data(self.message)}"


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def emit(
    problems: Sequence[Problem],
    *,
    fmt: str | None,
    out: TextIO,
    summary: str | None = None,
    extra: dict[str, object] | None = None,
) -> None:
    """Print problems in the chosen format.

    ``fmt=None`` means "not given": text, plus GitHub annotations when running
    inside GitHub Actions.
    """
    ordered = sorted(problems)
    if fmt == "json":
        doc: dict[str, object] = {
            "ok": not ordered,
            "problems": [_as_json(p) for p in ordered],
        }
        if extra:
            doc.update(extra)
        out.write(json.dumps(doc, indent=2) + "\n")
        return
    if fmt == "github":
        _write_lines(out, (p.github() for p in ordered))
        if summary:
            out.write(summary + "\n")
        return
    _write_lines(out, (p.text() for p in ordered))
    if summary:
        out.write(summary + "\n")
    if fmt is None and in_github_actions():
        _write_lines(out, (p.github() for p in ordered))


def _as_json(problem: Problem) -> dict[str, object]:
    data = problem._asdict()
    return {k: data[k] for k in ("path", "line", "column", "pointer", "rule", "message")}


def _write_lines(out: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        out.write(line + "\n")
