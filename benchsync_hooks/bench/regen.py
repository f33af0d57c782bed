"""The manifest the git index calls for, against the one in the work tree."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import NamedTuple

from ..check.selection import selected_of
from ..check.uniqueness import Placed, placed_at
from ..context import Context
from ..errors import UsageError
from ..git import GitRepo
from ..git.listing import ignored
from ..report import Problem
from .manifest import ManifestFile, block, render_blocks, rules_digest
from .scan import (
    check_entries,
    conflicts_of,
    index_locator,
    index_view,
    placed_of,
    published,
    remembered,
    staged_manifest,
)


class ManifestState(NamedTuple):
    """The manifest the index calls for, against the one on disk."""

    total: int
    problems: tuple[Problem, ...]
    data: bytes
    current: bytes | None  # the manifest in the work tree
    staged: bytes | None  # the manifest in the index (what the commit will hold)
    path: Path
    rel: str
    ignored_by: str | None
    reads: int

    @property
    def stale(self) -> bool:
        """The work tree's manifest is not the one the index calls for."""
        return self.current != self.data

    @property
    def unstaged(self) -> bool:
        """The index's manifest is not the one it calls for (the commit would miss it)."""
        return self.staged != self.data

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


def compute(ctx: Context, repo: GitRepo, *, cold: bool = False) -> ManifestState:
    """Check the results of the index and render the manifest.

    Entries of the manifest in the index are reused while their blobs, their
    ``config.json`` blobs and the rules are the same (``cold``: never); every other
    result is read and checked. Uniqueness is judged over all results every time,
    so the bytes never depend on what was reused.
    """
    config = ctx.config
    rules = rules_digest(config, ctx.schema_text)
    view = index_view(repo, config)
    staged = staged_manifest(repo, view)
    memory = {} if cold else remembered(view, config, rules=rules, staged=staged)
    todo = [e for e in view.boards if e.path not in memory]
    verdicts = check_entries(repo, todo, view, config=config, schema_text=ctx.schema_text)
    placed = placed_of(verdicts, config)
    placed.extend(Placed(source, f.target, (f.entry_id,)) for source, f in memory.items())
    clashes = conflicts_of(placed, partial(published, repo, config))
    conflicts = placed_at(clashes, index_locator(repo, view, config))
    excluded = {p.path for p in conflicts}
    blocks = [(source, f.text) for source, f in memory.items() if source not in excluded]
    for verdict in verdicts:
        if verdict.ok and verdict.source not in excluded:
            assert verdict.facts is not None and verdict.result is not None
            result, facts = verdict.result, verdict.facts
            item = ManifestFile(
                source=verdict.source,
                target=result.target(config.target_root),
                sha256=facts.sha256,
                size=facts.size,
                blob=verdict.blob,
                config_blob=view.config_blob(verdict.source),
                target_blob=facts.canonical_blob,
                entry_id=facts.entry_ids[0] if facts.entry_ids else "",
                backend=result.backend,
                model=result.model,
                run_id=result.run_id,
            )
            blocks.append((verdict.source, block(item)))
    unmerged = tuple(
        Problem(
            path,
            0,
            0,
            "merge-conflict",
            "is unmerged in the index (a merge conflict): resolve it, then git add it",
        )
        for path in selected_of(view.listing.unmerged, config)
    )
    problems = tuple(p for v in verdicts for p in v.problems) + tuple(conflicts) + unmerged
    data = render_blocks(blocks, config=config, rules=rules).encode("utf-8")
    path = ctx.root / config.manifest
    try:
        current: bytes | None = path.read_bytes()
    except OSError:
        current = None
    hidden = None
    if view.manifest is None:
        hidden = ignored(repo, [config.manifest]).get(config.manifest)
    return ManifestState(
        total=len(view.boards),
        problems=problems,
        data=data,
        current=current,
        staged=staged,
        path=path,
        rel=config.manifest,
        ignored_by=hidden,
        reads=len(todo),
    )


def refuse_a_website(ctx: Context, state: ManifestState, *, fix: str) -> None:
    """Stop in what looks like the website repository: no results, no manifest, but the
    website's results folder."""
    config = ctx.config
    if state.total == 0 and state.current is None and (ctx.root / config.target_root).is_dir():
        raise UsageError(
            f"no results under {config.source_root}/ and no manifest, but a "
            f"{config.target_root}/ folder: this looks like the website repository; {fix}"
        )
