"""The fix of a result that breaks the convention: where it goes, as far as is known."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from shlex import quote

from ..config import Config
from .convention import BACKEND, RUN_ID, STEM, SUFFIX, run_date
from .documented import parse_datetime
from .facts import Facts, RunConfig


def _slug_or_none(value: str | None) -> str | None:
    """A backend as given, or lower-cased when that makes it a slug (``CPU`` → ``cpu``)."""
    if value is None:
        return None
    if BACKEND.fullmatch(value):
        return value
    return value.lower() if BACKEND.fullmatch(value.lower()) else None


#: A run folder written another way (``long_2026-01-28_1``, ``Long-20260128-01``).
_LOOSE_RUN = re.compile(
    r"(?P<workload>[A-Za-z0-9][A-Za-z0-9_-]*?)[_-](?P<y>[0-9]{4})-?(?P<m>[0-9]{2})-?"
    r"(?P<d>[0-9]{2})[_-](?P<n>[0-9]{1,3})"
)
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _from_path(rel: str, config: Config) -> tuple[str | None, str | None, str | None]:
    """(backend, model, run_id) as the path itself spells them, where a spelling of the
    convention can be read from it (``CPU`` → ``cpu``, ``long_2026-01-28_1`` →
    ``long_20260128_001``); None for a part it cannot give."""
    parts = rel.split("/")
    if len(parts) != 5 or parts[0] != config.source_root:
        return None, None, None
    backend = _slug_or_none(parts[1])
    model = parts[2] if _MODEL.fullmatch(parts[2]) else None
    run = _LOOSE_RUN.fullmatch(parts[3])
    run_id = None
    if run is not None and int(run["n"]) > 0 and BACKEND.fullmatch(run["workload"].lower()):
        day = f"{run['y']}{run['m']}{run['d']}"
        run_id = f"{run['workload'].lower()}_{day}_{int(run['n']):03d}"
    return backend, model, run_id


def suggest_move(
    rel: str, facts: Facts | None, run_config: RunConfig | None, *, config: Config
) -> str:
    """The fix for a stray file: every change it needs (a ``git mv`` when enough is known,
    else the target with its unknown parts, and the content the move would make wrong)."""
    name = PurePosixPath(rel).name
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else PurePosixPath(rel).stem
    cfg = run_config
    path_backend, path_model, path_run = _from_path(rel, config)
    backend = _slug_or_none(cfg.backend if cfg else None) or path_backend
    model = cfg.model if cfg and cfg.model else None
    if model is None and facts and facts.model_name and facts.model_name != "unknown":
        model = facts.model_name
    if model is None and cfg and cfg.model_path:
        model = PurePosixPath(cfg.model_path.rstrip("/")).name or None
    model = model or path_model
    run_id = (cfg.run_id if cfg else None) or path_run
    also = ""
    if model and facts and facts.model_name is not None and facts.model_name != model:
        also = f"; then set model.name to {model!r} (it is {facts.model_name!r})"
    if backend and model and run_id and STEM.fullmatch(stem):
        dest = f"{config.source_root}/{backend}/{model}/{run_id}/{stem}{SUFFIX}"
        if dest != rel:
            folder = PurePosixPath(dest).parent
            return (
                f"move it: mkdir -p {quote(str(folder))} && git mv {quote(rel)} {quote(dest)}{also}"
            )
        fixed = _mended_run(run_id, facts)
        if fixed is not None:  # an impossible date: the day of submitted_at
            dest = f"{PurePosixPath(rel).parent.parent / fixed}/{stem}{SUFFIX}"
            then = f", and {cfg.path} with it (its run_id to match)" if cfg else ""
            return (
                f"move it to {dest} (the day metadata.submitted_at gives; <NNN>: the next "
                f"sequence free that day){then}{also}"
            )
        if cfg is None:
            return "fix the part of this path the message names"
        return f"fix this path and {cfg.path} together: it gives this same path"
    if backend and model and run_id:
        return "rename the file"  # (every folder is known: the file's name is wrong)
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
            ("run_id", run_id or (workload and day_digits)),
        )
        if not known
    ]
    guess_run = run_id or (f"{workload or '<workload>'}_{day_digits or '<YYYYMMDD>'}_<NNN>")
    dest = (
        f"{config.source_root}/{backend or '<backend>'}/"
        f"{model or '<model>'}/{guess_run}/{stem}{SUFFIX}"
    )
    where = "no config.json beside it" if cfg is None else f"{cfg.path} lacks"
    detail = f"{where} {', '.join(missing)}" if cfg is not None else where
    return f"move it to {dest} ({detail}; fill in the unknown parts){also}"


def _mended_run(run_id: str, facts: Facts | None) -> str | None:
    """``run_id`` with the day of ``metadata.submitted_at`` for an impossible date, and
    ``<NNN>`` for its sequence (which folders that day has is not known here); None when
    the date is real or no day is known."""
    parts = RUN_ID.fullmatch(run_id)
    if parts is None or run_date(parts["date"]) is not None:
        return None
    stamp = parse_datetime(facts.submitted_at) if facts and facts.submitted_at else None
    return None if stamp is None else f"{parts['workload']}_{stamp:%Y%m%d}_<NNN>"
