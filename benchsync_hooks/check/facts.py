"""What the rules need to know of a result's content and of the config.json beside it."""

from __future__ import annotations

from typing import Any, NamedTuple


class Facts(NamedTuple):
    """What the checks need to know of a leaderboard file's content (cacheable)."""

    sha256: str
    size: int
    kind: str  # "object", "array" or "other"
    entry_ids: tuple[str, ...]
    model_name: str | None
    submitted_at: str | None
    hardware: str | None = None
    #: git's blob id of the canonical form the website receives ("" when not computed)
    canonical_blob: str = ""


class RunConfig(NamedTuple):
    """The ``config.json`` beside a result, as far as the convention cares."""

    path: str
    run_id: str | None
    backend: str | None
    model: str | None
    model_path: str | None
    timestamp: str | None
    error: str | None = None


def facts_from_value(value: Any, *, sha256: str, size: int, canonical_blob: str = "") -> Facts:
    """Extract the facts of a parsed document."""
    items: list[Any]
    if isinstance(value, dict):
        kind, items = "object", [value]
    elif isinstance(value, list):
        kind, items = "array", value
    else:
        kind, items = "other", []
    ids = tuple(
        item["entry_id"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("entry_id"), str)
    )
    first = items[0] if items and isinstance(items[0], dict) else {}
    model = first.get("model")
    name = model.get("name") if isinstance(model, dict) else None
    meta = first.get("metadata")
    submitted = meta.get("submitted_at") if isinstance(meta, dict) else None
    hardware = first.get("hardware")
    chip = None
    if isinstance(hardware, dict):
        count, model_name = hardware.get("chip_count"), hardware.get("chip_model")
        if isinstance(model_name, str):
            chip = f"{count}× {model_name}" if isinstance(count, int) else model_name
    return Facts(
        sha256=sha256,
        size=size,
        kind=kind,
        entry_ids=ids,
        model_name=name if isinstance(name, str) else None,
        submitted_at=submitted if isinstance(submitted, str) else None,
        hardware=chip,
        canonical_blob=canonical_blob,
    )


def run_config_from_value(path: str, value: Any) -> RunConfig:
    if not isinstance(value, dict):
        return RunConfig(path, None, None, None, None, None, error="is not a JSON object")

    def text(key: str) -> str | None:
        item = value.get(key)
        return item if isinstance(item, str) and item else None

    return RunConfig(
        path,
        text("run_id"),
        text("backend"),
        text("model"),
        text("model_path"),
        text("timestamp"),
    )
