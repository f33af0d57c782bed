"""The website side's result values: a plan and its files, frozen once made."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from ..check.facts import Facts
from ..git.listing import Entry
from ..report import Problem
from .source import Source
from .verify import Claim


@dataclass(frozen=True)
class PlannedFile:
    """A verified manifest entry that the website receives (new or updated)."""

    claim: Claim
    status: str  # new | updated
    website_blob: str | None
    data: bytes  # the canonical form written (check.canonical)
    blob: str  # git's id of ``data``
    facts: Facts

    @property
    def target(self) -> str:
        return self.claim.file.target

    @property
    def source(self) -> str:
        return self.claim.file.source

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Rejected:
    """A file kept out of the sync, with the rule it breaks (and where, when known)."""

    source: str
    rule: str
    message: str
    line: int = 0
    column: int = 0


class Unlisted(NamedTuple):
    """A result file of the source that its manifest does not name: never synced."""

    path: str
    #: the rules it breaks under the website's checks; () when it passes them (committed
    #: past the manifest hook, or left out for a clash with another result); None when
    #: it was not checked (past the first few)
    fails: tuple[str, ...] | None


@dataclass(frozen=True)
class Plan:
    """What the website gets from one source commit: a value, never changed once made."""

    source: Source
    base: str
    base_commit: str
    writes: tuple[PlannedFile, ...] = ()
    unchanged: int = 0
    kept: int = 0
    rejected: tuple[Rejected, ...] = ()
    integrity: tuple[Problem, ...] = ()
    #: result files of the source that no manifest entry names (left out by the
    #: benchmark's checks, or committed past its hooks): never synced, and said so
    unlisted: tuple[Unlisted, ...] = ()
    #: the keys that change a verdict set otherwise in the benchmark repository's own
    #: configuration: what passed there may be rejected here
    differs: tuple[str, ...] = ()
    #: what the run could not do as usual, and went on without (said, never a verdict)
    warnings: tuple[str, ...] = ()
    website: Mapping[str, Entry] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def new(self) -> tuple[PlannedFile, ...]:
        return tuple(f for f in self.writes if f.status == "new")

    @property
    def updated(self) -> tuple[PlannedFile, ...]:
        return tuple(f for f in self.writes if f.status == "updated")
