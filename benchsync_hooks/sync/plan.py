"""Verify every claim of a source's manifest and plan what the website receives.

The manifest is a list of claims, never a list of paths to write: each entry's
blob must exist at its source path, have the claimed size and sha256, pass the
schema and the layout rules, and map to exactly the claimed target under the
target root. Anything false is an integrity problem and nothing is written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .. import __version__, gitrepo
from ..cache import BlobCache
from ..checks import check_content, config_path_for, locator, run_config_from_bytes
from ..config import Config
from ..errors import UsageError
from ..gitrepo import Entry, GitRepo
from ..jsondoc import JsonDoc
from ..layout import SUFFIX, Facts, consistency, parse_source
from ..manifest import ManifestFile, parse_doc
from ..report import Problem
from .source import Source

#: Largest manifest read (its entries are ~400 bytes; a million files is ~400 MB).
MAX_MANIFEST = 512 * 1024 * 1024

Progress = Callable[[int, int], None]


@dataclass
class Item:
    """One manifest entry after verification."""

    claim: ManifestFile
    blob: str
    index: int  # position in the manifest's files, for messages
    status: str = ""  # new | updated | unchanged | rejected
    website_blob: str | None = None
    data: bytes | None = None
    facts: Facts | None = None

    @property
    def target(self) -> str:
        return self.claim.target


@dataclass
class Rejected:
    source: str
    rule: str
    message: str


def reject(plan: Plan, item: Item, rule: str, message: str) -> None:
    """Keep ``item`` out of the sync, with the rule it breaks."""
    item.status = "rejected"
    plan.rejected.append(Rejected(item.claim.source, rule, message))


@dataclass
class Plan:
    """What the website gets from one source commit."""

    source: Source
    base: str
    base_commit: str
    website_repo: GitRepo
    items: list[Item] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    integrity: list[Problem] = field(default_factory=list)
    kept: int = 0
    website: dict[str, Entry] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    #: how many entries the website already holds exactly (set when the plan is done)
    unchanged: int = 0
    #: "full" (the whole manifest verified) or "incremental" (from the last snapshot)
    mode: str = "full"
    #: why the plan is full (when it is)
    why: str = ""

    def having(self, status: str) -> list[Item]:
        return [i for i in self.items if i.status == status]

    @property
    def new(self) -> list[Item]:
        return self.having("new")

    @property
    def updated(self) -> list[Item]:
        return self.having("updated")

    @property
    def writes(self) -> list[Item]:
        return [i for i in self.items if i.status in ("new", "updated")]


def no_progress(_done: int, _total: int) -> None:
    return


def build_plan(
    source: Source,
    website: GitRepo,
    *,
    base: str,
    base_commit: str,
    config: Config,
    progress: Progress = no_progress,
) -> Plan:
    """Verify the source's manifest and plan the website's changes.

    From the last verified plan of this source when there is one (cost grows with
    what changed since), else from the whole manifest; either way the same plan.
    """
    from . import incremental, snapshot

    identity = str(source.repo.git_dir)
    key = snapshot.key_for(config.fingerprint(), identity, config.manifest)
    path = snapshot.path_for(website.git_dir / "benchsync", identity)
    found = gitrepo.entries_at(source.repo, source.commit, [config.manifest], sizes=True)
    manifest_entry = found.get(config.manifest)
    job = Job(source, website, base, base_commit, config, progress)
    attempt = _from_snapshot(job, manifest_entry, path, key)
    if isinstance(attempt, Plan):
        return attempt
    plan, manifest = _full_plan(job)
    plan.why = attempt
    if not plan.integrity and manifest is not None and manifest_entry is not None:
        state = incremental.snapshot_of(plan, manifest, manifest_entry.blob, config)
        if state is not None:
            snapshot.save(path, key, state)
    return plan


class Job(NamedTuple):
    """What one plan is about: a source commit, a website and its base."""

    source: Source
    website: GitRepo
    base: str
    base_commit: str
    config: Config
    progress: Progress


def _from_snapshot(job: Job, manifest_entry: Entry | None, path: Path, key: str) -> Plan | str:
    """The plan from the last snapshot of this source, or why there is none."""
    from . import incremental, snapshot

    source, website, base, base_commit, config, progress = job
    last_blob = snapshot.manifest_of(path, key)
    if last_blob is None:
        return "no snapshot of an earlier apply of this source (version, configuration)"
    if manifest_entry is None or not manifest_entry.is_file:
        return "no manifest"
    if not 0 <= manifest_entry.size <= MAX_MANIFEST:
        return "the manifest is too large"
    # Both manifests are read (git inflates them) while the snapshot loads.
    texts = incremental.Texts(source, manifest_entry.blob, last_blob)
    try:
        last = snapshot.load(path, key)
        if last is None:
            return "the snapshot of the last apply is torn"
        result = incremental.plan_incremental(
            source,
            website,
            base=base,
            base_commit=base_commit,
            config=config,
            manifest_blob=manifest_entry.blob,
            last=last,
            texts=texts,
            progress=progress,
        )
    finally:
        texts.cancel()
    if isinstance(result, str):
        return result
    plan, state = result
    if (state.source_commit, state.website_tree) != (last.source_commit, last.website_tree):
        snapshot.save(path, key, state)
    return plan


def _full_plan(job: Job) -> tuple[Plan, bytes | None]:
    """The plan from the whole manifest, and the manifest's bytes (None when refused)."""
    source, website, base, base_commit, config, progress = job
    plan = Plan(source, base, base_commit, website_repo=website)
    listing = gitrepo.tree_entries(source.repo, source.commit, config.source_root)
    manifest_entry = listing.get(config.manifest)
    where = f"{source.location}@{source.short}"
    if manifest_entry is None or not manifest_entry.is_file:
        raise UsageError(
            f"no manifest at {where}: {config.manifest} is missing; install the "
            "leaderboard-manifest hook in the benchmark repository and commit the manifest"
        )
    size = gitrepo.blob_size(source.repo, manifest_entry.blob)
    display = f"{config.manifest}@{source.short}"
    if size > MAX_MANIFEST:
        plan.integrity.append(
            Problem(display, 0, 0, "manifest-size", f"manifest is {size} bytes; refusing it")
        )
        return plan, None
    _blob, data = next(gitrepo.read_blobs(source.repo, [manifest_entry.blob]))
    manifest, doc = parse_doc(data, display, max_size=MAX_MANIFEST)
    verified = BlobCache(website.git_dir / "benchsync" / "verified", "sha256+size")
    verify_claims(
        plan,
        manifest.files,
        manifest.source_root,
        manifest.target_root,
        doc,
        listing,
        config,
        verified,
        PathClaims(website.git_dir / "benchsync", config.fingerprint()),
    )
    if plan.integrity:
        return plan, data
    plan.website = gitrepo.tree_entries(website, base_commit, config.target_root)
    for item in plan.items:
        found = plan.website.get(item.target)
        if found is None:
            item.status = "new"
        elif found.blob == item.blob:
            item.status = "unchanged"
        else:
            item.status, item.website_blob = "updated", found.blob
    _website_hazards(plan, website, doc)
    if plan.integrity:
        return plan, data
    wanted = {i.target for i in plan.items}
    plan.kept = sum(1 for path in plan.website if path not in wanted)
    verify_content(plan, verified, listing, config, doc, progress)
    plan.unchanged = sum(1 for i in plan.items if i.status == "unchanged")
    return plan, data


def _claim_problem(
    doc: JsonDoc | None, index: int, key: str, rule: str, message: str, fix: str
) -> Problem:
    """A false claim at ``/files/index/key`` (without a position when there is no
    document: the incremental planner only needs to know that a claim failed)."""
    pointer = f"/files/{index}/{key}" if key else f"/files/{index}"
    if doc is None:
        return Problem("manifest", 0, 0, rule, f"{message}; {fix}", pointer)
    line, col = doc.position(pointer)
    return Problem(doc.path, line, col, rule, f"{message}; {fix}", pointer)


def verify_claims(
    plan: Plan,
    files: tuple[ManifestFile, ...],
    source_root: str,
    target_root: str,
    doc: JsonDoc | None,
    listing: dict[str, Entry],
    config: Config,
    verified: BlobCache | None,
    known: PathClaims | None,
) -> None:
    regenerate = "regenerate the manifest with 'benchsync manifest' in the benchmark repo"
    if source_root != config.source_root or target_root != config.target_root:
        pointer = "/source_root" if source_root != config.source_root else "/target_root"
        line, col = doc.position(pointer) if doc is not None else (0, 0)
        plan.integrity.append(
            Problem(
                doc.path if doc is not None else "manifest",
                line,
                col,
                "manifest-roots",
                f"manifest roots {source_root}/ → {target_root}/ differ from this website's "
                f"{config.source_root}/ → {config.target_root}/; align source_root/target_root "
                "in the two configurations",
            )
        )
        return
    seen_sources: dict[str, int] = {}
    seen_targets: dict[str, int] = {}
    learned: set[str] = set()
    for index, claim in enumerate(files):
        problems_before = len(plan.integrity)

        def bad(key: str, rule: str, message: str, fix: str = regenerate, i: int = index) -> None:
            plan.integrity.append(_claim_problem(doc, i, key, rule, message, fix))

        if claim.source in seen_sources:
            bad(
                "source",
                "manifest-duplicate",
                f"lists {claim.source} twice (also /files/{seen_sources[claim.source]})",
            )
            continue
        seen_sources[claim.source] = index
        folded = claim.target.casefold()
        if folded in seen_targets:
            bad(
                "target",
                "manifest-duplicate",
                f"target {claim.target} is claimed twice (also /files/{seen_targets[folded]}, "
                "possibly differing in case)",
            )
            continue
        seen_targets[folded] = index
        memo_key = "\t".join((claim.source, claim.target, claim.backend, claim.model, claim.run_id))
        entry = listing.get(claim.source)
        if known is not None and memo_key in known and entry is not None and entry.is_file:
            plan.items.append(Item(claim, entry.blob, index))  # path claims checked before
            continue
        if not _safe_target(claim.target, config.target_root):
            bad(
                "target",
                "manifest-target",
                f"target {claim.target!r} leaves {config.target_root}/",
                "the manifest was tampered with; regenerate it and check the benchmark repo",
            )
            continue
        if entry is None:
            bad(
                "source",
                "manifest-source",
                f"lists {claim.source}, which is not in the source at {plan.source.short}",
            )
            continue
        if not entry.is_file:
            bad(
                "source",
                "manifest-source",
                f"lists {claim.source}, which is a symbolic link or not a file",
            )
            continue
        result, path_problems = parse_source(claim.source, config)
        if result is None:
            bad("source", "manifest-source", f"lists {claim.source}: {path_problems[0].message}")
            continue
        expected = result.target(config.target_root)
        if claim.target != expected:
            bad(
                "target",
                "manifest-target",
                f"claims target {claim.target}, the convention gives {expected}",
            )
            continue
        for key, value in (
            ("backend", result.backend),
            ("model", result.model),
            ("run_id", result.run_id),
        ):
            if getattr(claim, key) != value:
                bad(
                    key,
                    "manifest-field",
                    f"claims {key} {getattr(claim, key)!r}, the path says {value!r}",
                )
        if len(plan.integrity) == problems_before:
            learned.add(memo_key)
        plan.items.append(Item(claim, entry.blob, index))
    if learned and known is not None:
        known.remember(learned)
    if plan.integrity:
        return
    plan.sizes = _sizes(plan, verified)
    for item in plan.items:
        actual = plan.sizes.get(item.blob, -1)
        if actual != item.claim.size:
            plan.integrity.append(
                _claim_problem(
                    doc,
                    item.index,
                    "size",
                    "manifest-size",
                    f"claims {item.claim.size} bytes for {item.claim.source}, "
                    f"the blob has {actual}",
                    regenerate,
                )
            )


def _sizes(plan: Plan, verified: BlobCache | None) -> dict[str, int]:
    """Each item's blob size: from the verified cache when known, else one batch-check."""
    sizes: dict[str, int] = {}
    unknown = []
    for item in plan.items:
        known = verified.get(item.blob) if verified is not None else None
        if isinstance(known, list) and len(known) == 2:
            sizes[item.blob] = int(known[1])
        else:
            unknown.append(item.blob)
    sizes.update(gitrepo.blob_sizes(plan.source.repo, unknown))
    return sizes


class PathClaims:
    """Path claims (source, target, backend, model, run_id) verified before, per config.

    They depend on nothing but the strings and the configuration, so a claim seen
    valid once needs no second look; appended to, never rewritten.
    """

    NAME = "path-claims-v1.txt"

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self._path = directory / self.NAME
        self._key = hashlib.sha256(f"{__version__}\x1f{fingerprint}".encode()).hexdigest()
        self._set: set[str] = set()
        self._fresh = True
        try:
            header, _, body = self._path.read_text(encoding="utf-8").partition("\n")
        except (OSError, UnicodeDecodeError):
            return
        if header == self._key:
            self._set = set(body.split("\n"))
            self._set.discard("")
            self._fresh = False

    def __contains__(self, key: str) -> bool:
        return key in self._set

    def remember(self, keys: set[str]) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            mode = "w" if self._fresh else "a"
            with self._path.open(mode, encoding="utf-8") as handle:
                if self._fresh:
                    handle.write(self._key + "\n")
                handle.writelines(k + "\n" for k in sorted(keys) if "\n" not in k)
            self._fresh = False
        except OSError:
            return


def _safe_target(target: str, root: str) -> bool:
    parts = target.split("/")
    return (
        not target.startswith("/")
        and ".." not in parts
        and "." not in parts
        and "" not in parts
        and "\\" not in target
        and "\0" not in target
        and target.startswith(root + "/")
        and target.endswith(SUFFIX)
    )


def _website_hazards(plan: Plan, website: GitRepo, doc: JsonDoc) -> None:
    """For what will be written: symbolic links on the way (base tree or disk); case clashes."""
    links = {p for p, e in plan.website.items() if e.is_symlink}
    folded = {p.casefold(): p for p in plan.website}
    checked: dict[str, bool] = {}
    for item in plan.writes:
        parts = item.target.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix not in checked:
                checked[prefix] = prefix in links or os.path.islink(website.root / prefix)
            if checked[prefix]:
                plan.integrity.append(
                    _claim_problem(
                        doc,
                        item.index,
                        "target",
                        "website-symlink",
                        f"{prefix} is a symbolic link in the website; refusing to write "
                        f"{item.target} through it",
                        "replace the link with a real directory in the website repo",
                    )
                )
                break
        existing = folded.get(item.target.casefold())
        if existing is not None and existing != item.target:
            reject(
                plan,
                item,
                "target-unique",
                f"{item.target} differs only in case from the website's {existing}",
            )


def verify_content(
    plan: Plan,
    verified: BlobCache | None,
    listing: dict[str, Entry],
    config: Config,
    doc: JsonDoc | None,
    progress: Progress,
) -> None:
    """sha256 of every entry (cached by blob id); schema and layout of what will be written."""
    sizes = plan.sizes
    to_read = []
    for item in plan.items:
        if item.status == "rejected":
            continue
        if sizes.get(item.blob, 0) > config.max_file_size:
            reject(
                plan,
                item,
                "json-size",
                f"{item.claim.source} is {sizes[item.blob]} bytes, over max_file_size",
            )
            continue
        if item.status != "unchanged" or _verified_sha(verified, item.blob) is None:
            to_read.append(item)
    by_blob: dict[str, list[Item]] = {}
    for item in to_read:
        by_blob.setdefault(item.blob, []).append(item)
    configs = {
        config_path_for(i.claim.source): listing[config_path_for(i.claim.source)]
        for i in plan.writes
        if config_path_for(i.claim.source) in listing
    }
    config_data = dict(gitrepo.read_blobs(plan.source.repo, {e.blob for e in configs.values()}))
    done = 0
    for blob, data in gitrepo.read_blobs(plan.source.repo, by_blob):
        digest = hashlib.sha256(data).hexdigest()
        if verified is not None:
            verified.put(blob, [digest, len(data)])
        for item in by_blob[blob]:
            done += 1
            progress(done, len(to_read))
            if digest != item.claim.sha256:
                _hash_problem(plan, doc, item, digest)
                continue
            if item.status == "unchanged":
                continue
            item.data = data
            _check_item(plan, item, data, configs, config_data, config, doc)
    if verified is not None:
        verified.save()
    for item in plan.items:
        known = _verified_sha(verified, item.blob) if item.status == "unchanged" else None
        if known is not None and known != item.claim.sha256:
            _hash_problem(plan, doc, item, known)


def _hash_problem(plan: Plan, doc: JsonDoc | None, item: Item, digest: str) -> None:
    plan.integrity.append(
        _claim_problem(
            doc,
            item.index,
            "sha256",
            "manifest-hash",
            f"claims sha256 {item.claim.sha256[:12]}… for {item.claim.source}, "
            f"the blob at {plan.source.short} has {digest[:12]}…",
            "the manifest is stale or tampered with; regenerate it with "
            "'benchsync manifest' in the benchmark repo",
        )
    )


def _verified_sha(verified: BlobCache | None, blob: str) -> str | None:
    if verified is None:
        return None
    known = verified.get(blob)
    return str(known[0]) if isinstance(known, list) and len(known) == 2 else None


def _check_item(
    plan: Plan,
    item: Item,
    data: bytes,
    configs: dict[str, Entry],
    config_data: dict[str, bytes],
    config: Config,
    doc: JsonDoc | None,
) -> None:
    claim = item.claim
    content_doc, facts, problems = check_content(data, claim.source, config)
    item.facts = facts
    if facts is not None and claim.entry_id not in facts.entry_ids:
        plan.integrity.append(
            _claim_problem(
                doc,
                item.index,
                "entry_id",
                "manifest-field",
                f"claims entry_id {claim.entry_id} for {claim.source}, the file has "
                f"{', '.join(facts.entry_ids) or 'none'}",
                "regenerate the manifest with 'benchsync manifest' in the benchmark repo",
            )
        )
        return
    if facts is not None:
        result, _ = parse_source(claim.source, config)
        assert result is not None
        cfg_entry = configs.get(config_path_for(claim.source))
        run_config = None
        if cfg_entry is not None:
            run_config = run_config_from_bytes(cfg_entry.path, config_data.get(cfg_entry.blob))
        problems = problems + consistency(
            result, facts, run_config, config, locator(lambda: content_doc)
        )
    for problem in problems:
        reject(plan, item, problem.rule, problem.text())
