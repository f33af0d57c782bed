"""The checks every command shares, on bytes already read: content, placement.

Commands differ only in where bytes come from (work tree, git index, a source
commit) and in what they do with the verdicts; none of that is here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import NamedTuple

from ..config import Config
from ..files import too_big
from ..report import Problem
from . import jsondoc
from .canonical import blob_id
from .consistency import consistency
from .convention import Locate, ResultPath, parse_source, too_long
from .documented import documented_rules
from .facts import Facts, RunConfig, facts_from_value, run_config_from_value
from .jsondoc import JsonDoc
from .moves import suggest_move
from .schema import checker_for


def check_content(
    data: bytes, display: str, config: Config, *, schema_text: str = "", positions: bool = True
) -> tuple[JsonDoc | None, Facts | None, list[Problem]]:
    """Strict JSON, the schema and the documented rules for one file's bytes."""
    doc, problems = jsondoc.parse(data, display, max_depth=config.max_depth, positions=positions)
    if doc is None:
        return None, None, problems
    out = doc.canonical
    facts = facts_from_value(
        doc.value,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        canonical_blob=blob_id(out),
    )
    problems = checker_for(schema_text).problems(doc)
    problems.extend(documented_rules(doc, config))
    if len(out) > config.max_file_size:  # (the website's check holds what it stores to it)
        form = "its canonical form (what the website stores: indented, non-ASCII escaped)"
        problems.append(too_big(display, len(out), config.max_file_size, what=form))
    return doc, facts, problems


def read_facts(data: bytes, display: str, config: Config) -> tuple[JsonDoc | None, Facts | None]:
    """Strict JSON and the facts layout needs, without the schema (that is the schema hook's)."""
    doc, _problems = jsondoc.parse(data, display, max_depth=config.max_depth)
    if doc is None:
        return None, None
    digest = hashlib.sha256(data).hexdigest()
    return doc, facts_from_value(doc.value, sha256=digest, size=len(data))


#: The largest config.json read, on every side (a run's configuration is a few KiB).
MAX_CONFIG_BYTES = 1024 * 1024


def oversized_config(path: str) -> RunConfig:
    """A config.json over :data:`MAX_CONFIG_BYTES`: an error value, as one that is no JSON."""
    return RunConfig(
        path, None, None, None, None, None, error=f"is over {MAX_CONFIG_BYTES:,} bytes"
    )


def run_config_from_bytes(path: str, data: bytes | None) -> RunConfig | None:
    """The config.json beside a result; one that is no JSON object is an error value."""
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return RunConfig(path, None, None, None, None, None, error="is not valid JSON")
    except RecursionError:
        return RunConfig(path, None, None, None, None, None, error="is nested too deeply")
    return run_config_from_value(path, value)


def config_path_for(rel: str) -> str:
    head, sep, _name = rel.rpartition("/")
    return f"{head}{sep}config.json"


def check_placement(
    rel: str,
    facts: Facts | None,
    run_config: RunConfig | None,
    *,
    config: Config,
    locate: Locate,
) -> tuple[ResultPath | None, list[Problem]]:
    """The convention for one path and, when it holds, path-against-content consistency."""
    result, problems = parse_source(rel, config)
    if result is None:
        first = problems[0]
        fix = suggest_move(rel, facts, run_config, config=config)
        problems[0] = Problem(first.path, 0, 0, first.rule, f"{first.message}; {fix}")
        return None, problems
    long = too_long(result, config)
    if long is not None:
        return None, [long]
    if facts is None:
        return result, []
    return result, consistency(result, facts, run_config, config=config, locate=locate)


class Verdict(NamedTuple):
    """Everything known of one leaderboard file after all per-file checks."""

    source: str
    blob: str
    facts: Facts | None
    result: ResultPath | None
    problems: tuple[Problem, ...]

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


def verdict_of(
    rel: str,
    blob: str,
    data: bytes | None,
    *,
    run_config: RunConfig | None,
    config: Config,
    schema_text: str = "",
    too_big: Problem | None = None,
    positions: bool = True,
) -> Verdict:
    """Every per-file check of one result's bytes (None: over max_file_size, ``too_big``)."""
    if data is None:
        problems = [too_big] if too_big is not None else []
        result, placement = check_placement(
            rel, None, run_config, config=config, locate=lambda _p: (0, 0)
        )
        return Verdict(rel, blob, None, result, (*problems, *placement))
    doc, facts, problems = check_content(
        data, rel, config, schema_text=schema_text, positions=positions
    )
    result, placement = check_placement(
        rel, facts, run_config, config=config, locate=locator(lambda: doc)
    )
    return Verdict(rel, blob, facts, result, (*problems, *placement))
