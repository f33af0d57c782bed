"""The numeric configuration keys: each a finite number within its documented range.

A bound is where a larger value stops making sense or starts to break something: a file
size the manifest cannot describe, a nesting deeper than Python's parser goes, a wait
longer than a day. ``true`` is not a number here, even though Python counts it as one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import ConfigError


class Bounds(NamedTuple):
    """What a numeric key holds, and its smallest and largest value."""

    what: str  # "a whole number of bytes", "a number of seconds"...
    low: int
    high: int
    integer: bool = False
    note: str = ""  # after the range: how a value is read


#: A metric's threshold, and the configuration's regression_threshold: percent.
THRESHOLD = Bounds("a percentage", 0, 10_000, note=" (10 means 10%)")

#: Every numeric key of the configuration (README.md, Configuration, lists the same ranges).
NUMBERS: Mapping[str, Bounds] = MappingProxyType(
    {
        "max_file_size": Bounds("a whole number of bytes", 1, 1 << 30, integer=True),
        "max_depth": Bounds("a whole number of levels", 1, 256, integer=True),
        "date_tolerance_days": Bounds("a whole number of days", 1, 3650, integer=True),
        "lock_timeout": Bounds("a number of seconds", 0, 86_400),
        "api_retries": Bounds("a whole number of retries", 1, 10, integer=True),
        "api_backoff": Bounds("a number of seconds", 0, 60),
        "api_max_wait": Bounds("a number of seconds", 0, 86_400),
        "api_write_interval": Bounds("a number of seconds", 0, 60),
        "regression_threshold": THRESHOLD,
    }
)


def number(value: Any, bounds: Bounds, *, where: str, key: str) -> float:
    """``value`` when it is a number of the kind and range of ``bounds`` (an ``int`` for a
    whole number, else a ``float``); else a :class:`ConfigError` naming ``where`` (the
    file), ``key`` and the range."""
    kinds = int if bounds.integer else (int, float)
    if (
        isinstance(value, kinds)
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))  # (a huge int is no float)
        and bounds.low <= value <= bounds.high
    ):
        return value if bounds.integer else float(value)
    raise ConfigError(
        f"{where}: {key} must be {bounds.what} from {bounds.low:,} to {bounds.high:,}"
        f"{bounds.note}, got {_shown(value)}"
    )


def _shown(value: Any) -> str:
    """A value as the TOML file spells it (``true``, ``nan``, ``inf``), clipped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
