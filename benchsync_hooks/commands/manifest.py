"""``benchsync manifest``: regenerate the sync manifest from the git index."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .. import gitrepo
from ..context import Context, context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..index_scan import BlobFacts, Scan, open_cache, scan_listing
from ..manifest import files_from, render
from ..report import Problem, emit

if TYPE_CHECKING:
    from git import Repo


@dataclass
class ManifestState:
    """The manifest the index calls for, against the one on disk."""

    scan: Scan
    text: str
    current: bytes | None
    path: Path
    rel: str
    ignored_by: str | None
    reads: int

    @property
    def stale(self) -> bool:
        return self.current != self.text.encode("utf-8")


def compute(ctx: Context, repo: Repo) -> ManifestState:
    config = ctx.config
    schema_path = ctx.schema_path(None)
    cache = open_cache(repo, config, schema_path)
    blob_facts = BlobFacts(repo, config, cache, schema_path)
    listing = gitrepo.index_entries(repo, config.source_root)
    scan = scan_listing(listing, config, blob_facts)
    cache.save()
    text = render(files_from(scan.verdicts, config), config)
    path = ctx.root / config.manifest
    try:
        current: bytes | None = path.read_bytes()
    except OSError:
        current = None
    ignored = gitrepo.ignored(repo, [config.manifest]).get(config.manifest)
    return ManifestState(scan, text, current, path, config.manifest, ignored, blob_facts.read_count)


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


def left_out(scan: Scan) -> list[Problem]:
    """One line per file kept out of the manifest, naming the rules it breaks."""
    out = []
    for verdict in scan.verdicts:
        if verdict.problems:
            rules = sorted({p.rule for p in verdict.problems})
            out.append(
                Problem(
                    verdict.source,
                    0,
                    0,
                    "manifest-left-out",
                    f"not in the manifest: fails {', '.join(rules)}",
                )
            )
    return out


def run(*, check: bool = False, out: TextIO | None = None, fmt: str | None = None) -> int:
    stream = out or sys.stdout
    ctx = context_for()
    repo = gitrepo.open_repo(ctx.root)
    state = compute(ctx, repo)
    problems = left_out(state.scan)
    if state.ignored_by:
        problems.append(ignored_problem(state.rel, state.ignored_by))
    summary = None
    if state.scan.problems:
        count = sum(not v.ok for v in state.scan.verdicts)
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
