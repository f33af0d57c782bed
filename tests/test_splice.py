"""Which manifest entries changed, from bytes: the edits rebuild the new entry list exactly,
and a new text that is not canonical where it differs is refused (the caller reads it all)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchsync_hooks import samples
from benchsync_hooks.config import Config
from benchsync_hooks.manifest import ManifestFile, block, render
from benchsync_hooks.sync.splice import Add, Keep, diff

CONFIG = Config()
RUNS = samples.runs(30)


def entry(run: samples.Run, seed: int = 0) -> ManifestFile:
    return ManifestFile(
        run.source,
        run.target,
        f"{seed:064x}",
        1000 + seed,
        f"00000000-0000-4000-8000-{seed:012x}",
        run.backend,
        run.model,
        run.run_id,
    )


def text(files: list[ManifestFile]) -> bytes:
    return render(files, CONFIG).encode()


def rebuilt(old: list[ManifestFile], new_text: bytes) -> list[ManifestFile] | None:
    """The new entries as the edits describe them (old runs kept, new ones added)."""
    ordered = sorted(old, key=lambda f: f.source)
    lengths = [len(block(f).encode()) for f in ordered]
    edits = diff(text(old), new_text, [f.source for f in ordered], lengths, CONFIG)
    if edits is None:
        return None
    out: list[ManifestFile] = []
    for step in edits.steps:
        if isinstance(step, Keep):
            out += ordered[step.start : step.stop]
        else:
            assert isinstance(step, Add)
            assert step.length == len(block(step.claim).encode())
            out.append(step.claim)
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.integers(0, len(RUNS) - 1), min_size=1),
    st.sets(st.integers(0, len(RUNS) - 1), min_size=1),
    st.sets(st.integers(0, len(RUNS) - 1)),
)
def test_edits_rebuild_the_new_manifest(old: set[int], new: set[int], changed: set[int]) -> None:
    before = [entry(RUNS[i]) for i in old]
    after = [entry(RUNS[i], seed=1 if i in changed else 0) for i in new]
    assert rebuilt(before, text(after)) == sorted(after, key=lambda f: f.source)


def test_unchanged_entries_are_kept_not_parsed() -> None:
    before = [entry(r) for r in RUNS]
    after = [*before[:10], entry(RUNS[10], seed=5), *before[11:]]
    ordered = sorted(before, key=lambda f: f.source)
    lengths = [len(block(f).encode()) for f in ordered]
    edits = diff(text(before), text(after), [f.source for f in ordered], lengths, CONFIG)
    assert edits is not None
    assert [s.claim for s in edits.steps if isinstance(s, Add)] == [entry(RUNS[10], seed=5)]
    kept = sum(s.stop - s.start for s in edits.steps if isinstance(s, Keep))
    assert kept == len(RUNS) - 1 and edits.entries == len(RUNS)


def _indent(data: bytes) -> bytes:
    return data.replace(b'\n      "sha256"', b'\n       "sha256"', 1)


def _duplicate_key(data: bytes) -> bytes:
    return data.replace(b'"size": ', b'"size": 1,\n      "size": ', 1)


def _nan(data: bytes) -> bytes:
    at = data.index(b'"size": ') + len(b'"size": ')
    end = data.index(b",", at)
    return data[:at] + b"NaN" + data[end:]


def _unsorted(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["files"].reverse()
    return json.dumps(doc, indent=2, ensure_ascii=False).encode() + b"\n"


def _listed_twice(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["files"].insert(1, dict(doc["files"][0]))
    return json.dumps(doc, indent=2, ensure_ascii=False).encode() + b"\n"


def _trailing(data: bytes) -> bytes:
    return data + b" "


def _float_size(data: bytes) -> bytes:
    return data.replace(b'"size": 1000,', b'"size": 1000.0,', 1)


def _extra_key(data: bytes) -> bytes:
    return data.replace(b'"run_id": ', b'"extra": 1,\n      "run_id": ', 1)


@pytest.mark.parametrize(
    "mutate",
    [_indent, _duplicate_key, _nan, _unsorted, _listed_twice, _trailing, _float_size, _extra_key],
)
def test_a_new_text_that_is_not_canonical_is_refused(mutate: Callable[[bytes], bytes]) -> None:
    before = [entry(r) for r in RUNS[:8]]
    changed = mutate(text(before))
    assert changed != text(before)
    assert rebuilt(before, changed) is None


def test_old_text_must_match_the_lengths() -> None:
    before = [entry(r) for r in RUNS[:4]]
    ordered = sorted(before, key=lambda f: f.source)
    lengths = [len(block(f).encode()) + 1 for f in ordered]  # one byte off each
    assert diff(text(before), text(before), [f.source for f in ordered], lengths, CONFIG) is None
