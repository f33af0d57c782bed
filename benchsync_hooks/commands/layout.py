"""``benchsync layout``: the directory convention, consistency and repo-wide uniqueness."""

from __future__ import annotations

import os
import stat
import sys
from functools import partial
from pathlib import Path
from typing import TextIO

from ..bench.manifest import rules_digest
from ..bench.moved import moved_results
from ..bench.scan import head_manifest, index_view, placed_of_index
from ..check.content import (
    MAX_CONFIG_BYTES,
    check_placement,
    config_path_for,
    locator,
    oversized_config,
    read_facts,
    run_config_from_bytes,
)
from ..check.convention import Locate
from ..check.facts import RunConfig
from ..check.jsondoc import JsonDoc
from ..check.selection import selected
from ..check.uniqueness import Placed, placed_at, uniqueness
from ..context import Context, context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..files import read_limited
from ..git import GitRepo, open_repo
from ..git.listing import ignored
from ..report import Problem, emit, files_summary


class Links:
    """Which path components below ``root`` are symbolic links, each folder asked once
    (a run folder holds several results; one process, one commit's work tree)."""

    __slots__ = ("_plain", "_root")

    def __init__(self, root: Path) -> None:
        self._root = str(root)
        self._plain: set[str] = set()

    def first_in(self, rel: str) -> str | None:
        """The first component of ``rel`` that is a symbolic link, or None."""
        end = -1
        while True:
            end = rel.find("/", end + 1)
            part = rel if end < 0 else rel[:end]
            if part not in self._plain:
                try:
                    linked = stat.S_ISLNK(os.lstat(f"{self._root}/{part}").st_mode)
                except OSError:
                    return None  # missing: the read below says so
                if linked:
                    return part
                if end >= 0:
                    self._plain.add(part)
            if end < 0:
                return None


def ignored_problems(ctx: Context, repo: GitRepo, rels: list[str]) -> list[Problem]:
    found = ignored(repo, rels)
    return [
        Problem(
            rel,
            0,
            0,
            "layout-ignored",
            f"is ignored by git ({rule}): results here never reach the index; "
            f"remove that pattern or add '!{ctx.config.source_root}/**/*_leaderboard.json'",
        )
        for rel, rule in sorted(found.items())
    ]


def _run_config(root: str, cfg_path: str) -> RunConfig | None:
    """The run's config.json when it is a regular file (a link is never followed)."""
    try:
        regular = stat.S_ISREG(os.lstat(f"{root}/{cfg_path}").st_mode)
    except OSError:
        return None
    if not regular:
        return None
    cfg_bytes, unread = read_limited(f"{root}/{cfg_path}", cfg_path, MAX_CONFIG_BYTES)
    if cfg_bytes is None and any(p.rule == "json-size" for p in unread):
        return oversized_config(cfg_path)
    return run_config_from_bytes(cfg_path, cfg_bytes)


def _positions(docs: dict[str, JsonDoc | None], rel: str) -> Locate | None:
    doc = docs.get(rel)
    return doc.position if doc is not None else None


def _same(doc: JsonDoc | None) -> JsonDoc | None:
    return doc


def run(files: list[str], *, fmt: str | None = None, out: TextIO | None = None) -> int:
    ctx = context_for()
    config = ctx.config
    repo = open_repo(ctx.root)
    problems: list[Problem] = []
    mine: list[Placed] = []
    focus: set[str] = set()
    checked: list[str] = []
    docs: dict[str, JsonDoc | None] = {}
    links = Links(ctx.root)
    configs: dict[str, RunConfig | None] = {}
    root = str(ctx.root)
    count = 0
    named: set[str] = set()
    for name in files:
        rel = ctx.rel(name)
        if rel is None:
            problems.append(
                Problem(
                    name,
                    0,
                    0,
                    "layout-outside-repo",
                    f"is outside the repository {ctx.root}; run the hook in the repository "
                    "that holds it",
                )
            )
            continue
        if rel in named or not selected(rel, config):
            continue  # (a file named twice is one file, not two sharing their entry_id)
        named.add(rel)
        count += 1
        link = links.first_in(rel)
        if link is not None:
            problems.append(
                Problem(
                    rel,
                    0,
                    0,
                    "layout-symlink",
                    f"{link} is a symbolic link; results must be regular files inside "
                    "the repository",
                )
            )
            continue
        checked.append(rel)
        data, unread = read_limited(f"{root}/{rel}", rel, config.max_file_size)
        # (what cannot be read at all is said here too; a size or JSON problem is schema's)
        problems.extend(p for p in unread if p.rule == "file-unreadable")
        doc = facts = None
        if data is not None:
            doc, facts = read_facts(data, rel, config)
            docs[rel] = doc
        cfg_path = config_path_for(rel)
        if cfg_path not in configs:
            configs[cfg_path] = _run_config(root, cfg_path)
        run_config = configs[cfg_path]
        result, placement = check_placement(
            rel,
            facts,
            run_config,
            config=config,
            locate=locator(partial(_same, doc)),
        )
        problems.extend(placement)
        if result is not None and facts is not None:
            focus.add(rel)
            mine.append(Placed(rel, result.target(config.target_root), facts.entry_ids))
    if mine:
        view = index_view(repo, config)
        rules = rules_digest(config, ctx.schema_text)
        others = placed_of_index(repo, view, config, rules=rules, skip=focus)
        found = uniqueness([*others, *mine], focus=focus)
        found += moved_results(mine, published=head_manifest(repo, config), in_index=view.listing)
        problems.extend(placed_at(found, partial(_positions, docs)))
    if checked:
        problems.extend(ignored_problems(ctx, repo, checked))
    summary = None
    if fmt != "json" and problems:
        summary = files_summary(count, len(problems))
    emit(problems, fmt=fmt, out=out or sys.stdout, summary=summary)
    return EXIT_PROBLEMS if problems else EXIT_OK
