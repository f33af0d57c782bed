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
        path, message = visible(self.path), visible(self.message)
        if self.line:
            return f"{path}:{self.line}:{self.column}: {self.rule} {message}"
        return f"{path}: {self.rule} {message}"

    def github(self) -> str:
        props = f"file={_gh_prop(visible(self.path))}"
        if self.line:
            props += f",line={self.line},col={self.column}"
        props += f",title={_gh_prop(self.rule)}"
        return f"::error {props}::{_gh_data(visible(self.message))}"


def visible(text: str) -> str:
    """``text`` on one line: each character that is not printable (a line break, an escape,
    a bidirectional override...) shown as its escape (``\\n``, ``\\x1b``), so that a file
    name or value can neither start a new line of output (which GitHub Actions would read as
    a workflow command) nor move the terminal's cursor. Every text and GitHub line of a
    problem and every error line goes through here (JSON escapes by itself)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def github_warning(message: str) -> str:
    """A ``::warning`` workflow command (an annotation) for ``message``, on one line."""
    return f"::warning title=benchsync::{_gh_data(visible(message))}"


def github_error(message: str) -> str:
    """A ``::error`` workflow command (an annotation) for ``message``, on one line."""
    return f"::error title=benchsync::{_gh_data(visible(message))}"


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def emit(
    problems: Sequence[Problem],
    *,
    fmt: str | None,
    out: TextIO,
    summary: str | None = None,
    extra: dict[str, object] | None = None,
    ok: bool | None = None,
) -> None:
    """Print problems in the chosen format.

    ``fmt=None`` means "not given": text, plus GitHub annotations when running
    inside GitHub Actions.
    """
    ordered = sorted(problems)
    if fmt == "json":
        doc: dict[str, object] = {
            "ok": not ordered if ok is None else ok,
            "problems": [problem_json(p) for p in ordered],
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


def problem_json(problem: Problem) -> dict[str, object]:
    data = problem._asdict()
    return {k: data[k] for k in ("path", "line", "column", "pointer", "rule", "message")}


def _write_lines(out: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        out.write(line + "\n")


def github_output(values: dict[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` (a value with a line break as a heredoc)."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    lines = []
    for key, value in values.items():
        if "\n" in value or "\r" in value:
            marker = f"benchsync_{abs(hash(value)):x}"
            lines.append(f"{key}<<{marker}\n{value}\n{marker}\n")
        else:
            lines.append(f"{key}={value}\n")
    with open(target, "a", encoding="utf-8") as handle:
        handle.writelines(lines)


def step_summary(markdown: str) -> None:
    """Append markdown to ``$GITHUB_STEP_SUMMARY`` (when GitHub Actions set it)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n")


#: The longest text a markdown cell shows (more is cut, with "…"): a PR body has a limit.
MAX_CELL = 300


def md_cell(text: str) -> str:
    """A table cell that shows ``text`` as text: no column break, HTML, mention, image or
    link, and every character that is not printable (a line break, an escape) shown as
    its escape; at most :data:`MAX_CELL` characters of it."""
    out = visible(text[: MAX_CELL * 2])  # (an escape is up to 10 characters: cut after)
    out = out.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("[", "\\[").replace("]", "\\]").replace("@", "@\u200b")
    out = out.replace("#", "#\u200b")  # (no issue link: owner/repo#1)
    out = out.replace("://", ":\u200b//").replace("www.", "www\u200b.")
    if len(out) > MAX_CELL or len(text) > MAX_CELL * 2:
        out = out[: MAX_CELL - 1].rstrip("\\&") + "…"
    return out


def check_summary(side: str, summary: str, problems: Sequence[Problem]) -> str:
    """The step summary of ``benchsync check``: counts per rule, then each problem."""
    lines = [f"### benchsync check ({side})", "", summary, ""]
    if problems:
        counts: dict[str, int] = {}
        for p in problems:
            counts[p.rule] = counts.get(p.rule, 0) + 1
        lines += ["| rule | problems |", "| --- | --- |"]
        lines += [f"| `{rule}` | {n} |" for rule, n in sorted(counts.items())]
        lines += ["", "| file | rule | message |", "| --- | --- | --- |"]
        for p in sorted(problems)[:200]:
            where = f"{p.path}:{p.line}" if p.line else p.path
            lines.append(f"| {md_cell(where)} | `{p.rule}` | {md_cell(p.message)} |")
    return "\n".join(lines) + "\n"


def counted(n: int, what: str) -> str:
    """``1 regression``, ``2 regressions``."""
    return f"{n} {what}{'' if n == 1 else 's'}"


def files_summary(files: int, problems: int, *, invalid: int | None = None) -> str:
    """``2 files checked, 1 problem`` (with ``invalid``: ``…, 1 invalid, …``)."""
    bad = "" if invalid is None else f"{invalid} invalid, "
    return f"{counted(files, 'file')} checked, {bad}{counted(problems, 'problem')}"
