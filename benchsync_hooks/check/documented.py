"""Rules the website documents but its schema does not enforce (each can be disabled)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from ..config import Config
from ..report import Problem
from .jsondoc import JsonDoc

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entries(value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The result objects in a document with their pointers (object or array)."""
    if isinstance(value, dict):
        yield "", value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"/{index}", item


def _get(obj: Mapping[str, Any], *keys: str) -> Any:
    node: Any = obj
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def parse_datetime(text: str) -> datetime | None:
    """An RFC 3339 date-time with its offset, or None."""
    if not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def documented_rules(doc: JsonDoc, config: Config) -> list[Problem]:
    """Rules the website documents but its schema does not enforce."""
    problems: list[Problem] = []
    for base, entry in entries(doc.value):
        problems.extend(_entry_rules(doc, base, entry, config=config))
    return problems


def _entry_rules(
    doc: JsonDoc, base: str, entry: dict[str, Any], *, config: Config
) -> Iterable[Problem]:
    config_type = entry.get("config_type")
    cluster = entry.get("cluster")
    if (
        config.enabled("cluster-single-node")
        and config_type in ("single_gpu", "multi_gpu")
        and cluster is not None
    ):
        pointer = f"{base}/cluster"
        line, col = doc.position(pointer)
        yield Problem(
            doc.path,
            line,
            col,
            "cluster-single-node",
            f"cluster must be null when config_type is {config_type!r}; "
            "set it to null or use multi_node",
            pointer,
        )
    submitted = _get(entry, "metadata", "submitted_at")
    if (
        config.enabled("format-date-time")
        and isinstance(submitted, str)
        and parse_datetime(submitted) is None
    ):
        pointer = f"{base}/metadata/submitted_at"
        line, col = doc.position(pointer)
        yield Problem(
            doc.path,
            line,
            col,
            "format-date-time",
            f"{_short(submitted)} is not an RFC 3339 date-time with offset "
            "(e.g. 2026-01-30T01:50:34+00:00)",
            pointer,
        )
    released = _get(entry, "metadata", "release_date")
    if config.enabled("format-date") and isinstance(released, str) and not _is_date(released):
        pointer = f"{base}/metadata/release_date"
        line, col = doc.position(pointer)
        yield Problem(
            doc.path,
            line,
            col,
            "format-date",
            f"{_short(released)} is not a calendar date YYYY-MM-DD",
            pointer,
        )


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
