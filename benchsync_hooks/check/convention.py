"""The directory convention: parse a source path, map its target, consistency rules.

Everything here is pure: paths are repo-relative POSIX strings, file contents
arrive as :class:`Facts`. Git and the file system live elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from ..config import Config
from ..report import Problem

SUFFIX = "_leaderboard.json"
# Names are ASCII and matched whole (re.fullmatch, explicit classes: never \d, never $).
BACKEND = re.compile(r"[a-z0-9][a-z0-9_-]*")
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
RUN_ID = re.compile(r"(?P<workload>[a-z0-9][a-z0-9_-]*?)_(?P<date>[0-9]{8})_(?P<seq>[0-9]{3})")
STEM = re.compile(r"[a-z0-9][a-z0-9_-]*")
_RUN_ID_SHAPE = r"[a-z0-9][a-z0-9_-]*?_[0-9]{8}_[0-9]{3}"
_NAME_SHAPE = r"[a-z0-9][a-z0-9_-]*"
#: A website file name's run_id and name (:func:`parse_target` checks the rest).
TARGET_NAME = re.compile(rf"(?P<run_id>{_RUN_ID_SHAPE})_(?P<name>{_NAME_SHAPE})_leaderboard\.json")

#: Locates a JSON pointer in the file being checked: 1-based (line, column).
Locate = Callable[[str], tuple[int, int]]


class ResultPath(NamedTuple):
    """A source path that follows the convention, taken apart (a tuple: cheap to make)."""

    source: str
    backend: str
    model: str
    run_id: str
    workload: str
    run_date: date
    sequence: int
    name: str

    def target(self, target_root: str) -> str:
        return f"{target_root}/{self.backend}/{self.model}/{self.run_id}_{self.name}{SUFFIX}"


def _problem(rel: str, rule: str, message: str) -> Problem:
    return Problem(rel, 0, 0, rule, message)


#: The longest file or folder name file systems take, and the longest path, in bytes.
NAME_MAX = 255
PATH_MAX = 4096


def too_long(result: ResultPath, config: Config) -> Problem | None:
    """A ``layout-name`` problem when the website could not write ``result``: a name of its
    website path over NAME_MAX bytes (its file name there, ``<run_id>_<name>``, is longer
    than the source's), or the whole path over PATH_MAX. Both sides ask it of each result."""
    target = result.target(config.target_root)
    if len(target) <= NAME_MAX and target.isascii():
        return None  # (the common case: no name is longer than the whole path)
    size = len(target.encode("utf-8", "surrogatepass"))
    if size > PATH_MAX:
        return _problem(
            result.source,
            "layout-name",
            f"its website path would be {size:,} bytes, over the {PATH_MAX:,} a path may "
            "have; shorten the names on the way",
        )
    *folders, name = target.split("/")
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > NAME_MAX:
        room = NAME_MAX - len(f"{result.run_id}_{SUFFIX}")
        fix = f"<name> to at most {room} characters" if room > 0 else "the run folder's name"
        return _problem(
            result.source,
            "layout-name",
            f"its file name on the website, <run_id>_<name>{SUFFIX}, would be {size:,} "
            f"bytes, over the {NAME_MAX} a file system allows; shorten {fix}",
        )
    for folder in folders:
        size = len(folder.encode("utf-8", "surrogatepass"))
        if size > NAME_MAX:
            return _problem(
                result.source,
                "layout-name",
                f"folder name {folder[:20]}… on the website would be {size:,} bytes, over "
                f"the {NAME_MAX} a file system allows; shorten it",
            )
    return None


#: A whole source path below the root, when it follows the convention (the common case).
SOURCE_PATH = re.compile(
    r"(?P<backend>[a-z0-9][a-z0-9_-]*)/(?P<model>[A-Za-z0-9][A-Za-z0-9._-]*)/"
    r"(?P<run_id>(?P<workload>[a-z0-9][a-z0-9_-]*?)_(?P<date>[0-9]{8})_(?P<seq>[0-9]{3}))/"
    r"(?P<name>[a-z0-9][a-z0-9_-]*)_leaderboard\.json"
)


@lru_cache(maxsize=4096)
def run_date(digits: str) -> date | None:
    """The calendar date of ``YYYYMMDD``, or None when there is no such day."""
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def conventional(rel: str, config: Config) -> tuple[str, str, str] | None:
    """(backend, model, run_id) of a path that follows the convention, else None (fast)."""
    prefix = config.source_root + "/"
    fast = SOURCE_PATH.fullmatch(rel, len(prefix)) if rel.startswith(prefix) else None
    if fast is None or fast["seq"] == "000" or run_date(fast["date"]) is None:
        return None
    if config.backends and fast["backend"] not in config.backends:
        return None
    return fast["backend"], fast["model"], fast["run_id"]


def target_of(rel: str, parts: tuple[str, str, str], config: Config) -> str:
    """The website path of the conventional source ``rel`` with these ``parts``."""
    backend, model, run_id = parts
    name = rel.rpartition("/")[2]
    return f"{config.target_root}/{backend}/{model}/{run_id}_{name}"


def parse_source(rel: str, config: Config) -> tuple[ResultPath | None, list[Problem]]:
    """Take a source path apart; problems are of the path itself."""
    prefix = config.source_root + "/"
    fast = SOURCE_PATH.fullmatch(rel, len(prefix)) if rel.startswith(prefix) else None
    if fast is not None and fast["seq"] != "000":
        day = run_date(fast["date"])
        if day is not None and (not config.backends or fast["backend"] in config.backends):
            return (
                ResultPath(
                    rel,
                    fast["backend"],
                    fast["model"],
                    fast["run_id"],
                    fast["workload"],
                    day,
                    int(fast["seq"]),
                    fast["name"],
                ),
                [],
            )
    return _parse_slowly(rel, config)


def _parse_slowly(rel: str, config: Config) -> tuple[ResultPath | None, list[Problem]]:
    """:func:`parse_source` for a path that breaks the convention: every problem of it."""
    parts = rel.split("/")
    root = config.source_root.split("/")
    shape = f"{config.source_root}/<backend>/<model>/<run_id>/<name>{SUFFIX}"
    if parts[: len(root)] != root:
        return None, [_problem(rel, "layout-root", f"is not under {config.source_root}/")]
    rest = parts[len(root) :]
    if len(rest) != 4:
        return None, [
            _problem(
                rel,
                "layout-shape",
                f"is {len(rest) - 1} director{'y' if len(rest) == 2 else 'ies'} deep below "
                f"{config.source_root}/, expected {shape}",
            )
        ]
    backend, model, run_id, filename = rest
    problems: list[Problem] = []
    if not BACKEND.fullmatch(backend):
        problems.append(
            _problem(
                rel,
                "layout-backend",
                f"backend {backend!r} is not a lower-case slug (a-z, 0-9, _ and -)"
                + (
                    f"; rename the folder to {backend.lower()!r}"
                    if BACKEND.fullmatch(backend.lower())
                    else ""
                ),
            )
        )
    elif config.backends and backend not in config.backends:
        problems.append(
            _problem(
                rel,
                "layout-backend",
                f"backend {backend!r} is not one of the configured backends: "
                f"{', '.join(config.backends)}",
            )
        )
    if not _MODEL.fullmatch(model):
        problems.append(
            _problem(
                rel,
                "layout-model",
                f"model directory {model!r} may hold only letters, digits, '.', '_' and '-'",
            )
        )
    match = RUN_ID.fullmatch(run_id)
    day = date.min
    sequence = 0
    workload = ""
    if not match:
        problems.append(
            _problem(
                rel,
                "layout-run-id",
                f"run directory {run_id!r} is not <workload>_<YYYYMMDD>_<NNN> "
                "(e.g. short_20260128_001)",
            )
        )
    else:
        workload = match["workload"]
        sequence = int(match["seq"])
        found = run_date(match["date"])
        if found is not None:
            day = found
        else:
            problems.append(
                _problem(
                    rel,
                    "layout-date",
                    f"run date {match['date']} in {run_id!r} is not a real calendar date",
                )
            )
        if sequence == 0:
            problems.append(
                _problem(rel, "layout-sequence", f"run sequence in {run_id!r} starts at 001")
            )
    stem = filename[: -len(SUFFIX)] if filename.endswith(SUFFIX) else ""
    if not stem or not STEM.fullmatch(stem):
        problems.append(
            _problem(
                rel,
                "layout-name",
                f"file name {filename!r} is not <name>{SUFFIX} with a lower-case slug name",
            )
        )
    if problems:
        return None, problems
    return (
        ResultPath(rel, backend, model, run_id, workload, day, sequence, stem),
        [],
    )


def parse_target(rel: str, config: Config) -> tuple[tuple[str, str, str, str] | None, str]:
    """Take a website path apart into (backend, model, run_id, name); else a reason."""
    parts = rel.split("/")
    root = config.target_root.split("/")
    if parts[: len(root)] != root:
        return None, f"is not under {config.target_root}/"
    rest = parts[len(root) :]
    shape = f"{config.target_root}/<backend>/<model>/<run_id>_<name>{SUFFIX}"
    if len(rest) != 3:
        return None, f"is not {shape}"
    backend, model, filename = rest
    if len(filename) > NAME_MAX:  # (before the pattern, which backtracks on a long name)
        return (
            None,
            f"file name is {len(filename):,} characters, over the {NAME_MAX} a name may have",
        )
    match = TARGET_NAME.fullmatch(filename)
    if not BACKEND.fullmatch(backend):
        return None, f"backend {backend!r} is not a lower-case slug"
    if not _MODEL.fullmatch(model):
        return None, f"model directory {model!r} may hold only letters, digits, '.', '_' and '-'"
    if not match:
        return None, f"file name {filename!r} is not <run_id>_<name>{SUFFIX}"
    parsed, problems = parse_source(
        f"{config.source_root}/{backend}/{model}/{match['run_id']}/{match['name']}{SUFFIX}",
        config,
    )
    if parsed is None:
        return None, problems[0].message
    long = too_long(parsed, config)
    if long is not None:
        return None, long.message
    return (backend, model, match["run_id"], match["name"]), ""
