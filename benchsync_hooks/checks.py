"""The checks every command shares: content, path and consistency, uniqueness.

Commands differ only in where bytes come from (working tree, git index, a
source commit) and in what they do with the verdicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from . import jsondoc
from .config import Config
from .jsondoc import JsonDoc
from .layout import (
    Facts,
    Locate,
    ResultPath,
    RunConfig,
    consistency,
    facts_from_value,
    parse_source,
    run_config_from_value,
    suggest_move,
)
from .report import Problem


def check_content(
    data: bytes, display: str, config: Config, schema_path: str = ""
) -> tuple[JsonDoc | None, Facts | None, list[Problem]]:
    """Strict JSON, the schema and the documented rules for one file's bytes."""
    from .schema import check_document

    doc, problems = jsondoc.parse(data, display, max_depth=config.max_depth)
    if doc is None:
        return None, None, problems
    facts = facts_from_value(doc.value, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return doc, facts, check_document(doc, config, schema_path)


def read_facts(data: bytes, display: str, config: Config) -> tuple[JsonDoc | None, Facts | None]:
    """Strict JSON and the facts layout needs, without the schema (that is the schema hook's)."""
    doc, _problems = jsondoc.parse(data, display, max_depth=config.max_depth)
    if doc is None:
        return None, None
    digest = hashlib.sha256(data).hexdigest()
    return doc, facts_from_value(doc.value, sha256=digest, size=len(data))


def run_config_from_bytes(path: str, data: bytes | None) -> RunConfig | None:
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return RunConfig(path, None, None, None, None, None, error="is not valid JSON")
    return run_config_from_value(path, value)


def config_path_for(rel: str) -> str:
    head, sep, _name = rel.rpartition("/")
    return f"{head}{sep}config.json"


def check_placement(
    rel: str,
    facts: Facts | None,
    run_config: RunConfig | None,
    config: Config,
    locate: Locate,
) -> tuple[ResultPath | None, list[Problem]]:
    """The convention for one path and, when it holds, path-against-content consistency."""
    result, problems = parse_source(rel, config)
    if result is None:
        first = problems[0]
        fix = suggest_move(rel, facts, run_config, config)
        problems[0] = Problem(first.path, 0, 0, first.rule, f"{first.message}; {fix}")
        return None, problems
    if facts is None:
        return result, []
    return result, consistency(result, facts, run_config, config, locate)


class Placed(NamedTuple):
    """A leaderboard file whose path follows the convention, for repo-wide rules."""

    source: str
    target: str
    entry_ids: tuple[str, ...]


def uniqueness(placed: Iterable[Placed], *, focus: set[str] | None = None) -> list[Problem]:
    """entry_id unique and one source per target (case-insensitively) across the repo.

    A conflict is reported on each file of ``focus`` it involves (all files when
    ``focus`` is None), naming the other file.
    """
    items = list(placed)
    all_ids = [i for item in items for i in item.entry_ids]
    targets = {item.target.casefold() for item in items}
    if len(set(all_ids)) == len(all_ids) and len(targets) == len(items):
        return []  # the common case, decided at C speed
    by_id: dict[str, list[str]] = {}
    by_target: dict[str, list[Placed]] = {}
    for item in items:
        for entry_id in set(item.entry_ids):
            by_id.setdefault(entry_id, []).append(item.source)
        by_target.setdefault(item.target.casefold(), []).append(item)
    problems: list[Problem] = []
    for entry_id, sources in by_id.items():
        if len(sources) < 2:
            continue
        for source in sorted(sources):
            if focus is not None and source not in focus:
                continue
            others = ", ".join(s for s in sorted(sources) if s != source)
            problems.append(
                Problem(
                    source,
                    0,
                    0,
                    "entry-id-unique",
                    f"entry_id {entry_id} is also used by {others}; "
                    "give each result its own entry_id (a new UUID)",
                )
            )
    for group in by_target.values():
        if len(group) < 2:
            continue
        for item in group:
            if focus is not None and item.source not in focus:
                continue
            others = ", ".join(sorted(g.source for g in group if g is not item))
            same = all(g.target == item.target for g in group)
            how = "maps to the same target" if same else "maps to a target differing only in case"
            problems.append(
                Problem(
                    item.source,
                    0,
                    0,
                    "target-unique",
                    f"{how} {item.target} as {others}; rename one run",
                )
            )
    return problems


class Verdict:
    """Everything known of one leaderboard file after all per-file checks."""

    __slots__ = ("blob", "facts", "problems", "result", "source")

    def __init__(
        self,
        source: str,
        blob: str | None,
        facts: Facts | None,
        result: ResultPath | None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.source = source
        self.blob = blob
        self.facts = facts
        self.result = result
        self.problems: list[Problem] = problems if problems is not None else []

    @property
    def ok(self) -> bool:
        return not self.problems and self.facts is not None and self.result is not None


def locator(load: Callable[[], JsonDoc | None]) -> Locate:
    """A Locate that parses the document only when a position is first asked for."""
    holder: list[JsonDoc | None] = []

    def locate(pointer: str) -> tuple[int, int]:
        if not holder:
            holder.append(load())
        doc = holder[0]
        return doc.position(pointer) if doc is not None else (0, 0)

    return locate


def facts_or_none(data: Mapping[str, Any] | None) -> Facts | None:
    if not data:
        return None
    try:
        return Facts.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None
