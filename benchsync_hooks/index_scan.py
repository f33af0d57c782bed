"""Check every leaderboard file of a git index or commit, reading only unknown blobs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from . import gitrepo
from .cache import BlobCache
from .checks import (
    Placed,
    Verdict,
    check_content,
    check_placement,
    config_path_for,
    facts_or_none,
    locator,
    run_config_from_bytes,
)
from .config import Config
from .gitrepo import Entry, GitRepo
from .jsondoc import JsonDoc
from .layout import Facts, RunConfig
from .memo import Memo
from .report import Problem
from .selection import selected


def open_cache(repo: GitRepo, config: Config, schema_digest: str) -> BlobCache:
    return BlobCache(
        gitrepo.git_dir(repo) / "benchsync", f"{config.fingerprint()}\x1f{schema_digest}"
    )


#: Below this many blobs, reading them is cheaper than loading the cache.
SMALL = 32


class BlobFacts:
    """Facts and verdicts of blobs, from the cache or by reading them in one batch."""

    def __init__(self, repo: GitRepo, config: Config, cache: BlobCache, schema_path: str) -> None:
        self.repo = repo
        self.config = config
        self.cache = cache
        self.schema_path = schema_path
        self.read_count = 0
        self._fetched: dict[str, bytes | None] = {}

    def prefetch(self, blobs: list[str]) -> None:
        """Read these blobs now, in one process (None for one over max_file_size)."""
        limit = self.config.max_file_size
        self._fetched.update(gitrepo.read_blobs_limited(self.repo, blobs, max_size=limit))

    def _read(self, blobs: list[str]) -> Iterator[tuple[str, bytes | None]]:
        """Prefetched blobs first, then the rest streamed (one in memory at a time)."""
        missing = []
        for blob in blobs:
            if blob in self._fetched:
                yield blob, self._fetched.pop(blob)
            else:
                missing.append(blob)
        limit = self.config.max_file_size
        yield from gitrepo.read_blobs_limited(self.repo, missing, max_size=limit)

    def content(self, entries: Iterable[Entry]) -> dict[str, tuple[Facts | None, bool]]:
        """blob → (facts, valid) for leaderboard blobs."""
        result: dict[str, tuple[Facts | None, bool]] = {}
        unknown: list[str] = []
        items = list(entries)
        use_cache = len(items) > SMALL
        for entry in items:
            cached = self.cache.get(entry.blob) if use_cache else None
            if isinstance(cached, dict) and "valid" in cached:
                result[entry.blob] = (facts_or_none(cached.get("facts")), bool(cached["valid"]))
            elif entry.blob not in result:
                unknown.append(entry.blob)
                result[entry.blob] = (None, False)
        if unknown:
            for blob, data in self._read(unknown):
                if data is None:
                    continue  # over max_file_size: (None, False) stands
                self.read_count += 1
                _doc, facts, problems = check_content(data, blob, self.config, self.schema_path)
                valid = facts is not None and not problems
                result[blob] = (facts, valid)
                if use_cache:
                    self.cache.put(
                        blob, {"valid": valid, "facts": facts.to_json() if facts else None}
                    )
        return result

    def run_configs(self, entries: Iterable[Entry]) -> dict[str, RunConfig]:
        """path → parsed config.json for config.json blobs."""
        result: dict[str, RunConfig] = {}
        unknown: dict[str, list[str]] = {}
        items = list(entries)
        use_cache = len(items) > SMALL
        for entry in items:
            cached = self.cache.get("cfg:" + entry.blob) if use_cache else None
            if isinstance(cached, dict):
                result[entry.path] = RunConfig(path=entry.path, **cached)
            else:
                unknown.setdefault(entry.blob, []).append(entry.path)
        for blob, data in self._read(list(unknown)):
            if data is None:
                for path in unknown[blob]:
                    result[path] = RunConfig(
                        path, None, None, None, None, None, error="is too large"
                    )
                continue
            for path in unknown[blob]:
                parsed = run_config_from_bytes(path, data)
                assert parsed is not None
                result[path] = parsed
                if use_cache:
                    self.cache.put("cfg:" + blob, _run_config_json(parsed))
        return result

    def problems_of(self, entry: Entry) -> tuple[JsonDoc | None, list[Problem]]:
        """Re-read one blob to report its content problems with positions."""
        if gitrepo.blob_size(self.repo, entry.blob) > self.config.max_file_size:
            from .jsondoc import _too_big

            size = gitrepo.blob_size(self.repo, entry.blob)
            return None, [_too_big(entry.path, size, self.config.max_file_size)]
        _blob, data = next(gitrepo.read_blobs(self.repo, [entry.blob]))
        doc, _facts, problems = check_content(data, entry.path, self.config, self.schema_path)
        return doc, problems

    def doc_of(self, entry: Entry) -> JsonDoc | None:
        _blob, data = next(gitrepo.read_blobs(self.repo, [entry.blob]))
        doc, _facts, _problems = check_content(data, entry.path, self.config, self.schema_path)
        return doc


def _run_config_json(parsed: RunConfig) -> dict[str, Any]:
    return {
        "run_id": parsed.run_id,
        "backend": parsed.backend,
        "model": parsed.model,
        "model_path": parsed.model_path,
        "timestamp": parsed.timestamp,
        "error": parsed.error,
    }


def placed_in(
    listing: Mapping[str, Entry],
    config: Config,
    blob_facts: BlobFacts,
    *,
    skip: set[str],
    memo: Memo | None = None,
) -> list[Placed]:
    """Targets and entry ids of a listing's leaderboard files, except ``skip``.

    A path whose blob the manifest memo already judged is taken from the memo;
    only the rest is looked up in the cache or read.
    """
    from .layout import parse_source

    boards = [e for e in split_listing(listing, config)[0] if e.is_file and e.path not in skip]
    placed = []
    unknown = []
    for entry in boards:
        record = memo.get(entry.path) if memo is not None else None
        if record is not None and record.startswith(entry.blob + "\t"):
            _blob, _cfg, target, ids, _block = record.split("\t", 4)
            placed.append(Placed(entry.path, target, tuple(ids.split(",")) if ids else ()))
        else:
            unknown.append(entry)
    content = blob_facts.content(unknown)
    for entry in unknown:
        facts = content[entry.blob][0]
        result, _ = parse_source(entry.path, config)
        if result is not None and facts is not None:
            placed.append(Placed(entry.path, result.target(config.target_root), facts.entry_ids))
    return placed


def split_listing(listing: Mapping[str, Entry], config: Config) -> tuple[list[Entry], list[Entry]]:
    """(leaderboard entries, config.json entries) of a listing."""
    boards = [e for p, e in listing.items() if selected(p, config)]
    configs = [e for p, e in listing.items() if p.endswith("/config.json") and e.is_file]
    return boards, configs


def per_file(
    boards: list[Entry], configs: list[Entry], config: Config, blob_facts: BlobFacts
) -> tuple[list[Verdict], list[Placed]]:
    """Per-file verdicts (everything but uniqueness) and what uniqueness needs."""
    files = [e for e in boards if e.is_file]
    wanted_configs = {config_path_for(e.path) for e in boards}
    beside = [c for c in configs if c.path in wanted_configs]
    if len(files) + len(beside) <= SMALL:  # a few files: one cat-file process for all
        blob_facts.prefetch([e.blob for e in files] + [c.blob for c in beside])
    content = blob_facts.content(files)
    run_configs = blob_facts.run_configs(beside)
    verdicts: list[Verdict] = []
    placed: list[Placed] = []
    for entry in boards:
        if not entry.is_file:
            what = "a symbolic link" if entry.is_symlink else f"not a regular file ({entry.mode})"
            problem = Problem(
                entry.path, 0, 0, "layout-symlink", f"is {what}; commit the result file itself"
            )
            verdicts.append(Verdict(entry.path, entry.blob, None, None, [problem]))
            continue
        facts, valid = content[entry.blob]
        problems: list[Problem] = []
        if not valid:
            _doc, problems = blob_facts.problems_of(entry)
        result, placement = check_placement(
            entry.path,
            facts,
            run_configs.get(config_path_for(entry.path)),
            config,
            locator(partial(blob_facts.doc_of, entry)),
        )
        if result is not None and facts is not None:
            placed.append(Placed(entry.path, result.target(config.target_root), facts.entry_ids))
        verdicts.append(Verdict(entry.path, entry.blob, facts, result, problems + placement))
    return verdicts, placed
