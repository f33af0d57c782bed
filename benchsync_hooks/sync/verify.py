"""The structural claims of every manifest entry, checked against the source tree.

Pure string work on two listings, run on every apply for every entry: the manifest
is a list of claims, never a list of paths to write. Content claims (sha256, the
schema, consistency) are checked in :mod:`.plan` for what will be written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

from ..bench.manifest import Manifest, ManifestFile
from ..bench.reading import ManifestText
from ..check.content import config_path_for
from ..check.convention import (
    SOURCE_PATH,
    SUFFIX,
    ResultPath,
    conventional,
    parse_source,
    run_date,
    target_of,
)
from ..config import Config
from ..git.listing import FILE_MODES, Entry
from ..report import Problem

REGENERATE = "regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark repo"
TAMPERED = "the manifest was tampered with; regenerate it and check the benchmark repo"


class Claim(NamedTuple):
    """A manifest entry whose structure holds: its source entry and parsed path."""

    nth: int  # the entry's position in the manifest's files
    file: ManifestFile
    entry: Entry

    @property
    def result(self) -> ResultPath:
        """The source path taken apart (its structure was checked already)."""
        item = self.file
        run_id = item.run_id
        return ResultPath(
            item.source,
            item.backend,
            item.model,
            run_id,
            run_id[:-13],
            date(int(run_id[-12:-8]), int(run_id[-8:-6]), int(run_id[-6:-4])),
            int(run_id[-3:]),
            item.source.rpartition("/")[2][: -len(SUFFIX)],
        )


def safe_target(target: str, root: str) -> bool:
    """Under ``root``, relative, no empty, ``.`` or ``..`` part, no backslash or NUL."""
    parts = target.split("/")
    return (
        target.startswith(root + "/")
        and target.endswith(SUFFIX)
        and not {"", ".", ".."} & set(parts)
        and "\\" not in target
        and "\0" not in target
        and target.isascii()
        and target.isprintable()
    )


def verify_structure(
    manifest: Manifest,
    text: ManifestText,
    listing: Mapping[str, Entry],
    *,
    config: Config,
    short: str,
) -> tuple[list[Claim], list[Problem]]:
    """Every entry's structural claims; (the claims that hold, the problems of the rest)."""
    if (manifest.source_root, manifest.target_root) != (config.source_root, config.target_root):
        pointer = "/source_root" if manifest.source_root != config.source_root else "/target_root"
        line, col = text.position(pointer)
        return [], [
            Problem(
                text.display,
                line,
                col,
                "manifest-roots",
                f"manifest roots {manifest.source_root}/ → {manifest.target_root}/ differ from "
                f"this website's {config.source_root}/ → {config.target_root}/; align "
                "source_root/target_root in the two configurations",
                pointer,
            )
        ]
    claims: list[Claim] = []
    problems: list[Problem] = []
    sources: dict[str, int] = {}
    targets: dict[str, int] = {}
    holds = _fast_check(listing, config)
    for index, item in enumerate(manifest.files):
        entry = holds(item, sources, targets)
        if entry is not None:
            sources[item.source] = index
            targets[item.target.casefold()] = index
            claims.append(Claim(index, item, entry))
            continue
        found = _claim_problem(
            item, index, listing, config=config, short=short, sources=sources, targets=targets
        )
        if isinstance(found, _Bad):
            problems.append(found.at(text, index))
        else:
            claims.append(Claim(index, item, found))
    return claims, problems


def entry_problem(
    item: ManifestFile,
    index: int,
    listing: Mapping[str, Entry],
    *,
    config: Config,
    short: str,
    text: ManifestText,
) -> Problem | None:
    """The first false claim of one entry whose source and target no other entry lists,
    as :func:`verify_structure` names it; None when its claims hold."""
    found = _claim_problem(item, index, listing, config=config, short=short, sources={}, targets={})
    return found.at(text, index) if isinstance(found, _Bad) else None


def _fast_check(
    listing: Mapping[str, Entry], config: Config
) -> Callable[[ManifestFile, dict[str, int], dict[str, int]], Entry | None]:
    """The common case in one pass of plain comparisons: an entry whose every structural
    claim holds gives its source entry; anything else gives None and is looked at again
    by :func:`_claim_problem`, which names what is wrong."""
    start = len(config.source_root) + 1
    prefix = config.source_root + "/"
    root = config.target_root
    backends = config.backends
    get = listing.get

    def holds(item: ManifestFile, sources: dict[str, int], targets: dict[str, int]) -> Entry | None:
        source = item.source
        entry = get(source)
        if entry is None or entry.mode not in FILE_MODES or not source.startswith(prefix):
            return None
        found = SOURCE_PATH.fullmatch(source, start)
        if found is None or source in sources or item.target.casefold() in targets:
            return None
        backend, model, run_id, day, seq, name = found.group(
            "backend", "model", "run_id", "date", "seq", "name"
        )
        if (item.backend, item.model, item.run_id) != (backend, model, run_id):
            return None
        if seq == "000" or run_date(day) is None or (backends and backend not in backends):
            return None
        if item.target != f"{root}/{backend}/{model}/{run_id}_{name}{SUFFIX}":
            return None
        if entry.size >= 0 and entry.size != item.size:
            return None
        if item.blob is not None:
            beside = get(source[: source.rfind("/") + 1] + "config.json")
            actual = beside.blob if beside is not None and beside.mode in FILE_MODES else None
            if item.blob != entry.blob or item.config_blob != actual:
                return None
        return entry

    return holds


class _Bad(NamedTuple):
    """The first false claim of an entry: at which key, which rule, what, and the fix."""

    key: str
    rule: str
    message: str
    fix: str = REGENERATE

    def at(self, text: ManifestText, index: int) -> Problem:
        return text.problem(index, self.key, self.rule, message=f"{self.message}; {self.fix}")


def _claim_problem(
    item: ManifestFile,
    index: int,
    listing: Mapping[str, Entry],
    *,
    config: Config,
    short: str,
    sources: dict[str, int],
    targets: dict[str, int],
) -> _Bad | Entry:
    """(key, rule, message, fix) of the first false claim of one entry, or what holds."""
    if item.source in sources:
        return _Bad(
            "source",
            "manifest-duplicate",
            f"lists {item.source} twice (also /files/{sources[item.source]})",
        )
    sources[item.source] = index
    folded = item.target.casefold()
    if folded in targets:
        return _Bad(
            "target",
            "manifest-duplicate",
            f"target {item.target} is claimed twice (also /files/{targets[folded]}, "
            "possibly differing in case)",
        )
    targets[folded] = index
    entry = listing.get(item.source)
    if entry is None:
        steps = item.source.split("/")
        for depth in range(1, len(steps)):
            folder = listing.get("/".join(steps[:depth]))
            if folder is not None and folder.is_symlink:
                return _Bad(
                    "source",
                    "manifest-source",
                    f"lists {item.source}, which goes through the symbolic link "
                    f"{folder.path} in the source at {short}",
                )
        return _Bad(
            "source",
            "manifest-source",
            f"lists {item.source}, which is not in the source at {short}",
        )
    if not entry.is_file:
        what = "a symbolic link" if entry.is_symlink else "not a regular file"
        return _Bad("source", "manifest-source", f"lists {item.source}, which is {what}")
    parts = conventional(item.source, config)
    if parts is None:
        problem = parse_source(item.source, config)[1][0]
        return _Bad("source", "manifest-source", f"lists {item.source}: {problem.message}")
    expected = target_of(item.source, parts, config)
    if item.target != expected and not safe_target(item.target, config.target_root):
        return _Bad(
            "target",
            "manifest-target",
            f"target {item.target!r} leaves {config.target_root}/",
            TAMPERED,
        )
    if item.target != expected:
        return _Bad(
            "target",
            "manifest-target",
            f"claims target {item.target}, the convention gives {expected}",
        )
    for key, value in zip(("backend", "model", "run_id"), parts, strict=True):
        if getattr(item, key) != value:
            return _Bad(
                key,
                "manifest-field",
                f"claims {key} {getattr(item, key)!r}, the path says {value!r}",
            )
    if item.blob is not None and item.blob != entry.blob:
        return _Bad(
            "blob",
            "manifest-blob",
            f"claims blob {item.blob[:12]} for {item.source}, "
            f"the source at {short} has {entry.blob[:12]}",
        )
    if item.blob is not None:
        beside = listing.get(config_path_for(item.source))
        actual = beside.blob if beside is not None and beside.is_file else None
        if item.config_blob != actual:
            return _Bad(
                "config_blob",
                "manifest-blob",
                f"claims config.json blob {str(item.config_blob)[:12]} beside {item.source}, "
                f"the source has {str(actual)[:12]}",
            )
    if entry.size >= 0 and entry.size != item.size:
        return _Bad(
            "size",
            "manifest-size",
            f"claims {item.size} bytes for {item.source}, the blob has {entry.size}",
        )
    return entry
