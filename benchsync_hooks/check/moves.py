"""The fix of a result that breaks the convention: where it goes, as far as is known."""

from __future__ import annotations

from pathlib import PurePosixPath

from ..config import Config
from .convention import BACKEND, STEM, SUFFIX
from .documented import parse_datetime
from .facts import Facts, RunConfig


def _slug_or_none(value: str | None) -> str | None:
    """A backend as given, or lower-cased when that makes it a slug (``CPU`` → ``cpu``)."""
    if value is None:
        return None
    if BACKEND.fullmatch(value):
        return value
    return value.lower() if BACKEND.fullmatch(value.lower()) else None


def suggest_move(
    rel: str, facts: Facts | None, run_config: RunConfig | None, *, config: Config
) -> str:
    """The fix for a stray file: every change it needs (a ``git mv`` when enough is known,
    else the target with its unknown parts, and the content the move would make wrong)."""
    name = PurePosixPath(rel).name
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else PurePosixPath(rel).stem
    cfg = run_config
    backend = _slug_or_none(cfg.backend if cfg else None)
    model = cfg.model if cfg and cfg.model else None
    if model is None and facts and facts.model_name and facts.model_name != "unknown":
        model = facts.model_name
    if model is None and cfg and cfg.model_path:
        model = PurePosixPath(cfg.model_path.rstrip("/")).name or None
    also = ""
    if model and facts and facts.model_name is not None and facts.model_name != model:
        also = f"; then set model.name to {model!r} (it is {facts.model_name!r})"
    if cfg and backend and model and cfg.run_id:
        dest = f"{config.source_root}/{backend}/{model}/{cfg.run_id}/{stem}{SUFFIX}"
        if dest != rel:
            folder = PurePosixPath(dest).parent
            return f"move it: mkdir -p {folder} && git mv {rel} {dest}{also}"
        if not STEM.fullmatch(stem):  # (config.json gives this same path: the name is wrong)
            return "rename the file"
        return f"fix this path and {cfg.path} together: it gives this same path"
    workload = next((w for w, s in config.workloads.items() if s == (stem,)), None)
    day_digits = None
    if facts and facts.submitted_at:
        stamp = parse_datetime(facts.submitted_at)
        day_digits = f"{stamp:%Y%m%d}" if stamp else None
    missing = [
        label
        for label, known in (
            ("backend", backend),
            ("model", model),
            ("run_id", (cfg.run_id if cfg else None) or (workload and day_digits)),
        )
        if not known
    ]
    guess_run = (cfg.run_id if cfg else None) or (
        f"{workload or '<workload>'}_{day_digits or '<YYYYMMDD>'}_<NNN>"
    )
    dest = (
        f"{config.source_root}/{backend or '<backend>'}/"
        f"{model or '<model>'}/{guess_run}/{stem}{SUFFIX}"
    )
    where = "no config.json beside it" if cfg is None else f"{cfg.path} lacks"
    detail = f"{where} {', '.join(missing)}" if cfg is not None else where
    return f"move it to {dest} ({detail}; fill in the unknown parts){also}"
