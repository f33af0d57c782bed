"""Regenerate the manifest from the git index, at the cost of what changed.

Three levels, each giving the same bytes as a cold rebuild: splice a few changed
results into the last manifest (:func:`_splice`); else reuse every unchanged
path's entry from the memo and read only new blobs (:func:`compute`); else, with
nothing under ``.git/benchsync/``, check everything once.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from . import gitrepo
from .cache import BlobCache
from .checks import Placed, config_path_for, uniqueness
from .context import Context
from .gitrepo import Entry, GitRepo
from .index_scan import BlobFacts, open_cache, per_file, split_listing
from .manifest import ManifestFile, assemble, block, files_from
from .memo import Memo, State, listing_changes
from .report import Problem
from .selection import selected


class ManifestState(NamedTuple):
    """The manifest the index calls for, against the one on disk."""

    total: int
    problems: list[Problem]
    data: bytes
    current: bytes | None
    path: Path
    rel: str
    ignored_by: str | None
    reads: int

    @property
    def stale(self) -> bool:
        return self.current != self.data

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
    directory = gitrepo.git_dir(repo) / "benchsync"
    raw = gitrepo.index_raw(repo, config.source_root)
    last = State.load(directory, cache.key)
    if last is not None and last.clean:
        quick = _splice(ctx, repo, raw, last, cache)
        if quick is not None:
            return quick
    memo = Memo(directory, cache.key)
    listing = gitrepo.parse_index(raw)
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
    ignored = _manifest_ignored(repo, config.manifest, raw)
    data = text.encode("utf-8")
    State(raw, _digest(data), clean=not problems).save(directory, cache.key)
    return ManifestState(
        len(boards), problems, data, current, path, config.manifest, ignored, blob_facts.read_count
    )


#: Above this many changed results, the full computation is as quick as splicing.
SPLICE_LIMIT = 256
_SOURCE_AT = len('    {\n      "source": "')


def _manifest_ignored(repo: GitRepo, manifest: str, raw: str) -> str | None:
    """The .gitignore rule hiding the manifest; a tracked manifest is never hidden."""
    if f"\t{manifest}\0" in raw + "\0":
        return None
    return gitrepo.ignored(repo, [manifest]).get(manifest)


def _digest(data: bytes) -> str:
    """Length and Adler-32: enough to tell our own last manifest from any edit of it
    (a cache check, not a security one), and ~10× cheaper than sha256 on 3 MB."""
    import zlib

    return f"{len(data)}:{zlib.adler32(data):08x}"


def _splice(
    ctx: Context, repo: GitRepo, raw: str, last: State, cache: BlobCache
) -> ManifestState | None:
    """Splice a few changed results into the manifest the last run wrote.

    Taken only when the last run was clean (every result in the manifest), the
    manifest on disk is the one it wrote, no config.json changed and every changed
    result passes all checks without clashing; anything else returns None and the
    full computation decides. Either way the bytes are the same (a property test
    compares them after random changes). The work is a few searches in the text.
    """
    config = ctx.config
    added, gone = listing_changes(last.listing, raw)
    added_paths = {r.partition("\t")[2] for r in added}
    changed = added_paths | {r.partition("\t")[2] for r in gone}
    changed = {p for p in changed if selected(p, config) or p.endswith("/config.json")}
    if any(p.endswith("/config.json") for p in changed) or len(changed) > SPLICE_LIMIT:
        return None
    if any(not _plain(p) for p in changed):
        return None
    path = ctx.root / config.manifest
    try:
        current = path.read_bytes()
    except OSError:
        return None
    if _digest(current) != last.manifest_sha:
        return None
    entries = gitrepo.parse_index("\0".join(r for r in added if r.partition("\t")[2] in changed))
    if any(not e.is_file for e in entries.values()):
        return None
    wanted = {config_path_for(p) for p in entries}
    configs = list(gitrepo.parse_index("\0".join(_records(raw, wanted))).values())
    blob_facts = BlobFacts(repo, config, cache, ctx.schema_path(None))
    verdicts, _placed = per_file(list(entries.values()), configs, config, blob_facts)
    if not all(v.ok for v in verdicts):
        return None
    text = _ManifestText(current)  # bytes: everything in it is ASCII
    probe = _ManifestText(current)  # the manifest without any changed result
    for source in sorted(changed):
        if not probe.remove(source) and source not in added_paths:
            return None  # the last manifest lacked a result it should have had
    fresh = files_from(verdicts, config)
    new_targets = [f.target for f in fresh if text.find(f.source) is None]
    if not _unique(probe.text, fresh, new_targets):
        return None
    placed = {f.source: f for f in fresh}
    for source in sorted(changed - placed.keys()):
        text.remove(source)
    later: list[str] | None = None
    for item in sorted(fresh, key=lambda f: f.source):
        if text.replace(item.source, block(item).encode()):
            continue
        if later is None:
            later = [r.partition("\t")[2] for r in raw.split("\0")]
        after = later[later.index(item.source) + 1 :]
        text.insert(block(item).encode(), after)
    config_blobs = {e.path: e.blob for e in configs}
    records = {
        v.source: Memo.record(
            v.blob or "",
            config_blobs.get(config_path_for(v.source), ""),
            item.target,
            v.facts.entry_ids if v.facts else (),
            block(item),
        )
        for v, item in zip(verdicts, fresh, strict=True)
    }
    directory = gitrepo.git_dir(repo) / "benchsync"
    Memo.append(directory, cache.key, records)
    State(raw, _digest(text.text), clean=True).save(directory, cache.key)
    ignored = _manifest_ignored(repo, config.manifest, raw)
    return ManifestState(
        text.count(), [], text.text, current, path, config.manifest, ignored, len(verdicts)
    )


def _records(raw: str, paths: set[str]) -> list[str]:
    """The listing records of ``paths`` (found by search, not by splitting the listing)."""
    found = []
    for path in paths:
        at = (raw + "\0").find(f"\t{path}\0")
        if at >= 0:
            found.append(raw[raw.rfind("\0", 0, at) + 1 : at + len(path) + 1])
    return found


def _plain(path: str) -> bool:
    """A path JSON writes without escapes (all that pass the layout rules are)."""
    return path.isascii() and '"' not in path and "\\" not in path and path.isprintable()


def _unique(text: bytes, fresh: list[ManifestFile], new_targets: list[str]) -> bool:
    """No fresh entry_id, nor any new (case-folded) target, is already in ``text`` or repeated.

    A modified result keeps its target, which was unique before: only targets that
    are new to the manifest need the case-insensitive search (paths are ASCII).
    """
    ids = [f.entry_id for f in fresh]
    targets = [f.target.casefold() for f in fresh]
    if len(set(ids)) != len(ids) or len(set(targets)) != len(targets):
        return False
    if any(f'"entry_id": "{i}"'.encode() in text for i in ids):
        return False
    if not new_targets:
        return True
    folded = text.lower()
    return not any(f'"target": "{t.lower()}"'.encode() in folded for t in new_targets)


class _ManifestText:
    """A rendered manifest (bytes, all ASCII) edited in place: blocks by source."""

    OPEN = b'  "files": [\n'
    EMPTY = b'  "files": []\n}\n'
    CLOSE = b"\n  ]\n}\n"

    def __init__(self, text: bytes) -> None:
        self.text = text

    def find(self, source: str) -> tuple[int, int] | None:
        at = self.text.find(f'\n      "source": "{source}",\n'.encode())
        if at < 0:
            return None
        start = self.text.rfind(b"\n    {", 0, at) + 1
        end = self.text.find(b"\n    }", at) + len(b"\n    }")
        return start, end

    def count(self) -> int:
        return self.text.count(b'\n      "source": ')

    def remove(self, source: str) -> bool:
        span = self.find(source)
        if span is None:
            return False
        start, end = span
        text = self.text
        if text.startswith(b",\n", end):
            self.text = text[:start] + text[end + 2 :]
        elif text[start - 2 : start] == b",\n":
            self.text = text[: start - 2] + text[end:]
        else:  # the only block
            self.text = text[: start - len(self.OPEN)] + self.EMPTY
        return True

    def replace(self, source: str, new_block: bytes) -> bool:
        """Put ``new_block`` where ``source``'s block is; False when it has none."""
        span = self.find(source)
        if span is None:
            return False
        self.text = self.text[: span[0]] + new_block + self.text[span[1] :]
        return True

    def insert(self, new_block: bytes, later: list[str]) -> None:
        """Put ``new_block`` before the first block of ``later`` paths, else last."""
        text = self.text
        if text.endswith(self.EMPTY):
            self.text = text[: -len(self.EMPTY)] + self.OPEN + new_block + self.CLOSE
            return
        for successor in later:
            span = self.find(successor)
            if span is not None:
                self.text = text[: span[0]] + new_block + b",\n" + text[span[0] :]
                return
        end = text.rindex(self.CLOSE)
        self.text = text[:end] + b",\n" + new_block + text[end:]
