"""Links planted in .git/benchsync/: apply never writes through one. The folders must be
real (else one line, exit 2, nothing written); pr-body.md is replaced, never followed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BRANCH, RUNS, Pair, run_cli

from benchsync_hooks.sync.state import replace_file

VICTIM = b"the user's own file\n"


def _victim(pair: Pair) -> Path:
    """A file outside the website that a link points at, and an empty folder beside it."""
    victim = pair.site.parent / "victim.txt"
    victim.write_bytes(VICTIM)
    (pair.site.parent / "elsewhere").mkdir()
    return victim


def _state(pair: Pair) -> Path:
    folder = pair.site / ".git/benchsync"
    folder.mkdir(exist_ok=True)
    return folder


def _link(rel: str, to: str) -> Callable[[Pair], None]:
    """``.git/benchsync/REL`` as a symbolic link to ``TO`` (beside the website)."""

    def plant(pair: Pair) -> None:
        path = pair.site / ".git/benchsync" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(pair.site.parent / to)

    return plant


def _file(rel: str) -> Callable[[Pair], None]:
    def plant(pair: Pair) -> None:
        (_state(pair) / rel).write_bytes(b"not a folder\n")

    return plant


def _folder(rel: str) -> Callable[[Pair], None]:
    def plant(pair: Pair) -> None:
        (_state(pair) / rel).mkdir()

    return plant


def _names(pair: Pair) -> list[str]:
    folder = pair.site / ".git/benchsync"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


#: What is planted; the one line apply refuses with (None: it works, writing past it).
CASES: dict[str, tuple[Callable[[Pair], None], str | None]] = {
    "pr-body.md links to a file outside": (_link("pr-body.md", "victim.txt"), None),
    "pr-body.md links to nothing yet": (_link("pr-body.md", "created-by-apply.txt"), None),
    "tmp links to a folder outside": (
        _link("tmp", "elsewhere"),
        ".git/benchsync/tmp is a symbolic link to {outside}/elsewhere; benchsync writes only "
        "into a folder of its own there: remove it (rm .git/benchsync/tmp) and run benchsync "
        "apply again",
    ),
    "tmp is a file": (
        _file("tmp"),
        ".git/benchsync/tmp is a file; benchsync writes only into a folder of its own there: "
        "remove it (rm .git/benchsync/tmp) and run benchsync apply again",
    ),
    "the state folder links to a folder outside": (
        _link("", "elsewhere"),
        ".git/benchsync is a symbolic link to {outside}/elsewhere; benchsync writes only into "
        "a folder of its own there: remove it (rm .git/benchsync) and run benchsync apply again",
    ),
    "apply.lock links to a file outside": (
        _link("apply.lock", "victim.txt"),
        ".git/benchsync/apply.lock is a symbolic link to {outside}/victim.txt; benchsync "
        "writes only into a file of its own there: remove it (rm .git/benchsync/apply.lock) "
        "and run benchsync apply again",
    ),
    "pr-body.md is a folder": (
        _folder("pr-body.md"),
        ".git/benchsync/pr-body.md is a folder; benchsync writes only into a file of its own "
        "there: remove it (rm -r .git/benchsync/pr-body.md) and run benchsync apply again",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("mode", ["commit", "--no-commit"])
def test_nothing_is_written_through_a_planted_link(
    pair: Pair, capsys: pytest.CaptureFixture[str], case: str, mode: str
) -> None:
    pair.publish(*RUNS[:2])
    victim = _victim(pair)
    plant, refusal = CASES[case]
    plant(pair)
    before, planted = pair.snapshot(), _names(pair)
    extra = ["--no-commit"] if mode == "--no-commit" else []
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), *extra)
    outside = pair.site.parent
    assert victim.read_bytes() == VICTIM
    assert list((outside / "elsewhere").iterdir()) == []
    assert not (outside / "created-by-apply.txt").exists()
    if refusal is not None:
        assert (code, out) == (2, ""), err
        assert err == f"benchsync apply: {refusal.format(outside=outside)}\n"
        assert pair.snapshot() == before
        assert pair.site_git("branch", "--list", BRANCH) == ""
        assert _names(pair) == planted  # not even a lock or a temp folder beside it
        return
    assert code == 0, err
    body = pair.site / ".git/benchsync/pr-body.md"
    assert not body.is_symlink() and "## Benchmark results sync" in body.read_text("utf-8")
    assert sorted(p.name for p in body.parent.iterdir()) == ["apply.lock", "pr-body.md", "tmp"]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_dry_run_reads_nothing_there(
    pair: Pair, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """--dry-run writes nothing, so nothing planted there stops it or is written to."""
    pair.publish(*RUNS[:2])
    victim = _victim(pair)
    CASES[case][0](pair)
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--dry-run")
    assert code == 0, err
    assert "dry run: nothing written" in out
    assert victim.read_bytes() == VICTIM
    assert list((pair.site.parent / "elsewhere").iterdir()) == []


def test_replace_file_replaces_a_link_and_leaves_no_temp(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(VICTIM)
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "out.md").symlink_to(victim)
    written = replace_file(folder, "out.md", b"body\n")
    assert written == folder / "out.md"
    assert not written.is_symlink() and written.read_bytes() == b"body\n"
    assert victim.read_bytes() == VICTIM
    assert os.listdir(folder) == ["out.md"]  # no temp file left beside it
