"""Repo-wide rules: entry_id unique, one source per website target (also across case)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from shlex import quote
from typing import NamedTuple

from ..report import Problem
from .convention import Locate


class Placed(NamedTuple):
    """A leaderboard file whose path follows the convention, for repo-wide rules."""

    source: str
    target: str
    entry_ids: tuple[str, ...]


#: The fix an entry_id clash names: in the benchmark repository, and in the website.
NEW_ID = "give each result its own entry_id (a new UUID)"
ONE_COPY = "keep one copy of each result: delete the other file (or give one a new entry_id)"


def uniqueness(
    placed: Iterable[Placed], *, focus: set[str] | None = None, fix: str = NEW_ID
) -> list[Problem]:
    """entry_id unique and one source per target (case-insensitively) across the repo.

    A conflict is reported on each file of ``focus`` it involves (all files when
    ``focus`` is None), naming the other file; ``fix`` ends an entry_id clash's line.
    """
    items = list(placed)
    all_ids = [i for item in items for i in item.entry_ids]
    targets = {item.target.casefold() for item in items}
    folders = {item.target.rpartition("/")[0] for item in items}
    if (
        len(set(all_ids)) == len(all_ids)
        and len(targets) == len(items)
        and len({f.casefold() for f in folders}) == len(folders)
    ):
        return []  # the common case, decided at C speed
    by_id: dict[str, list[str]] = {}
    by_target: dict[str, list[Placed]] = {}
    problems: list[Problem] = []
    for item in items:
        if focus is None or item.source in focus:
            problems += repeated_ids(item.source, item.entry_ids)
        for entry_id in set(item.entry_ids):
            by_id.setdefault(entry_id, []).append(item.source)
        by_target.setdefault(item.target.casefold(), []).append(item)
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
                    f"entry_id {entry_id} is also used by {others}; {fix}",
                    "/entry_id",
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
    problems.extend(_folder_clashes(items, focus))
    return problems


def _folder_clashes(items: list[Placed], focus: set[str] | None) -> list[Problem]:
    """Website folders that differ only in case (``cpu/GPT2/`` and ``cpu/gpt2/``): one
    folder on a case-insensitive file system, and a clash for every later result."""
    spellings: dict[str, dict[str, list[str]]] = {}
    for item in items:
        folder = item.target.rpartition("/")[0]
        spellings.setdefault(folder.casefold(), {}).setdefault(folder, []).append(item.source)
    problems: list[Problem] = []
    for found in spellings.values():
        if len(found) < 2:
            continue
        for folder, sources in sorted(found.items()):
            other = min(f for f in found if f != folder)
            for source in sorted(sources):
                if focus is not None and source not in focus:
                    continue
                problems.append(
                    Problem(
                        source,
                        0,
                        0,
                        "target-unique",
                        f"its website folder {folder} differs only in case from {other} "
                        f"({found[other][0]}); {_one_spelling(source, other)}",
                    )
                )
    return problems


def _one_spelling(source: str, other: str) -> str:
    """The move that puts ``source`` under the other spelling of its model folder."""
    parts = source.split("/")  # <root>/<backend>/<model>/<run_id>/<name>_leaderboard.json
    model = other.rpartition("/")[2]
    if len(parts) != 5:
        return "use one spelling of the name"
    dest = "/".join([*parts[:2], model, *parts[3:]])
    return (
        f"use one spelling: mkdir -p {quote(dest.rpartition('/')[0])} && git mv {quote(source)} "
        f"{quote(dest)}, "
        f"and set model.name to {model!r}"
    )


def repeated_ids(source: str, entry_ids: tuple[str, ...]) -> list[Problem]:
    """An ``entry-id-unique`` problem for each entry_id that one file (an array of results)
    holds more than once: each result is a row of its own on the website."""
    if len(set(entry_ids)) == len(entry_ids):
        return []
    twice = sorted({i for i in entry_ids if entry_ids.count(i) > 1})
    return [
        Problem(
            source,
            0,
            0,
            "entry-id-unique",
            f"entry_id {entry_id} is used by {entry_ids.count(entry_id)} results in this "
            f"file; {NEW_ID}",
        )
        for entry_id in twice
    ]


def placed_at(problems: Iterable[Problem], locate: Callable[[str], Locate | None]) -> list[Problem]:
    """``problems`` with LINE:COL filled in where a pointer names a place in the file.

    ``locate(path)`` gives the positions of one file's document (None: not at hand); it
    is asked only for the files of problems that lack a position.
    """
    done = []
    for problem in problems:
        where = locate(problem.path) if problem.pointer and not problem.line else None
        if where is None:
            done.append(problem)
        else:
            line, col = where(problem.pointer)
            done.append(problem._replace(line=line, column=col))
    return done
