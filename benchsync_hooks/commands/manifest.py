"""``benchsync manifest``: regenerate the sync manifest from the git index."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .. import gitrepo
from ..checks import Placed, config_path_for, uniqueness
from ..context import Context, context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..gitrepo import Entry, GitRepo
from ..index_scan import BlobFacts, open_cache, per_file, split_listing
from ..manifest import assemble, block, files_from
from ..memo import Memo
from ..report import Problem, emit


@dataclass
class ManifestState:
    """The manifest the index calls for, against the one on disk."""

    count: int
    problems: list[Problem]
    text: str
    current: bytes | None
    path: Path
    rel: str
    ignored_by: str | None
    reads: int

    @property
    def stale(self) -> bool:
        return self.current != self.text.encode("utf-8")

    @property
    def left_out(self) -> list[Problem]:
        """One line per file kept out of the manifest, naming the rules it breaks."""
        rules: dict[str, set[str]] = {}
        for problem in self.problems:
            rules.setdefault(problem.path, set()).add(problem.rule)
        return [
            Problem(
                path,
                0,
                0,
                "manifest-left-out",
                f"not in the manifest: fails {', '.join(sorted(found))}",
            )
            for path, found in sorted(rules.items())
        ]


def compute(ctx: Context, repo: GitRepo) -> ManifestState:
    """Check every result of the index and render the manifest, reusing the last run.

    A memo under ``.git/benchsync/`` keeps, per path, the blob ids it was judged
    on and its finished manifest block; a path whose result and ``config.json``
    blobs did not change is not looked at again. Uniqueness is always judged
    over all files, so the bytes never depend on what the memo held.
    """
    config = ctx.config
    schema_path = ctx.schema_path(None)
    cache = open_cache(repo, config, schema_path)
    memo = Memo(gitrepo.git_dir(repo) / "benchsync", cache.key)
    listing = gitrepo.index_entries(repo, config.source_root)
    boards, configs = split_listing(listing, config)
    config_blobs = {e.path: e.blob for e in configs}
    kept: dict[str, str] = {}
    todo: list[Entry] = []
    for entry in boards:
        known = memo.get(entry.path)
        cfg = config_blobs.get(config_path_for(entry.path), "")
        if known is not None and entry.is_file and known.startswith(f"{entry.blob}\t{cfg}\t"):
            kept[entry.path] = known
        else:
            todo.append(entry)
    blob_facts = BlobFacts(repo, config, cache, schema_path)
    verdicts, placed = per_file(todo, configs, config, blob_facts)
    cache.save()
    cache.close()  # its 10,000 entries are not needed any more
    for verdict in verdicts:
        if verdict.ok:
            [item] = files_from([verdict], config)
            kept[verdict.source] = Memo.record(
                verdict.blob or "",
                config_blobs.get(config_path_for(verdict.source), ""),
                item.target,
                verdict.facts.entry_ids if verdict.facts else (),
                block(item),
            )
    fresh = {v.source for v in verdicts}
    fields = {path: record.split("\t", 4) for path, record in kept.items()}
    placed.extend(
        Placed(path, f[2], tuple(f[3].split(",")) if f[3] else ())
        for path, f in fields.items()
        if path not in fresh
    )
    problems = [p for v in verdicts for p in v.problems]
    del verdicts
    conflicts = uniqueness(placed)
    del placed
    problems.extend(conflicts)
    memo.replace(kept)
    excluded = {p.path for p in conflicts}
    text = assemble(
        (fields[path][4].replace("\x1e", "\n") for path in sorted(fields) if path not in excluded),
        config,
    )
    path = ctx.root / config.manifest
    try:
        current: bytes | None = path.read_bytes()
    except OSError:
        current = None
    ignored = gitrepo.ignored(repo, [config.manifest]).get(config.manifest)
    return ManifestState(
        len(boards), problems, text, current, path, config.manifest, ignored, blob_facts.read_count
    )


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ignored_problem(rel: str, rule: str) -> Problem:
    return Problem(
        rel,
        0,
        0,
        "manifest-ignored",
        f"is ignored by git ({rule}); the website never sees it: "
        f"add '!{Path(rel).name}' to that .gitignore",
    )


def run(*, check: bool = False, out: TextIO | None = None, fmt: str | None = None) -> int:
    stream = out or sys.stdout
    ctx = context_for()
    repo = gitrepo.open_repo(ctx.root)
    state = compute(ctx, repo)
    problems = state.left_out
    count = len(problems)
    if state.ignored_by:
        problems.append(ignored_problem(state.rel, state.ignored_by))
    summary = None
    if count:
        summary = (
            f"{count} files left out of the manifest; "
            "see 'benchsync schema FILE' and 'benchsync layout FILE'"
        )
    emit(problems, fmt=fmt, out=stream, summary=summary)
    if not state.stale:
        return EXIT_PROBLEMS if problems else EXIT_OK
    if check:
        stream.write(f"manifest is stale: run 'benchsync manifest' and commit {state.rel}\n")
        return EXIT_PROBLEMS
    write_atomic(state.path, state.text.encode("utf-8"))
    stream.write(f"manifest updated: git add {state.rel}\n")
    return EXIT_PROBLEMS
