"""No memory outside git: nothing under .git/benchsync/ decides a verdict, a plan or a write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RUNS, Pair, git, run_cli

from benchsync_hooks import samples
from benchsync_hooks.bench.manifest import FORMAT

OLD_STATE_FILES = (
    "cache-v2.jsonl",
    "manifest-memo-v3.tsv",
    "manifest-state-v1.txt",
    "verified/cache-v2.jsonl",
    "path-claims-v1.txt",
    "plan-v1-0123456789abcdef.txt",
    "pr-body.md",
)


def _fill_garbage(folder: Path) -> None:
    for name in OLD_STATE_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            os.urandom(4096) + b"\n" * 3 + b'["' + b"a" * 40 + b'", {"valid": true}]\n'
        )


def _fill_plausible(folder: Path) -> None:
    """Lines shaped like the old formats, claiming what is false."""
    folder.mkdir(parents=True, exist_ok=True)
    claim = "\t".join(
        (RUNS[0].source, ".github/workflows/x.yml", "cpu", "gpt2", "short_20260128_001")
    )
    for name in OLD_STATE_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"header\n{claim}\n" + json.dumps(["0" * 40, {"valid": True}]) + "\n")


def _truncate(folder: Path) -> None:
    for name in OLD_STATE_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def _delete(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _leftover_temps(folder: Path) -> None:
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    for n in range(3):
        (folder / "tmp" / f"write-{n}").write_bytes(b"half a file")


PLANTS: dict[str, Callable[[Path], None]] = {
    "random bytes": _fill_garbage,
    "plausible lies": _fill_plausible,
    "truncated": _truncate,
    "deleted": _delete,
    "temps of a killed apply": _leftover_temps,
}


def _every_command(pair: Pair, capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str]]:
    """Run every command on both sides; (exit, stdout) of each."""
    results = []
    bench = pair.bench.root
    files = [str(bench / r.source) for r in RUNS[:3]]
    os.chdir(bench)
    for argv in (
        ["schema", *files],
        ["layout", *files],
        ["manifest", "--check"],
        ["check", "--format", "json"],
    ):
        code, out, _err = run_cli(capsys, *argv)
        results.append((code, out))
    os.chdir(pair.site)
    for argv in (
        ["apply", "--source", str(bench), "--dry-run", "--json"],
        ["check", "--website"],
    ):
        code, out, _err = run_cli(capsys, *argv)
        results.append((code, out))
    return results


@pytest.mark.parametrize("plant", list(PLANTS), ids=list(PLANTS))
def test_state_folder_changes_no_output(
    pair: Pair, capsys: pytest.CaptureFixture[str], plant: str
) -> None:
    pair.publish(*RUNS[:3])
    pair.seed_site(RUNS[0])
    before = _every_command(pair, capsys)
    assert [code for code, _ in before] == [0, 0, 0, 0, 0, 0]
    for repo in (pair.bench.root, pair.site):
        PLANTS[plant](repo / ".git" / "benchsync")
    after = _every_command(pair, capsys)
    assert after == before
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--json")
    assert code == 0
    report = json.loads(out)
    assert sorted(report["new"]) == sorted(r.target for r in RUNS[1:3])
    assert report["unchanged"] == 1
    assert not (pair.site / ".github").exists()
    tmp = pair.site / ".git" / "benchsync" / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []


def test_planted_claims_never_write_outside_the_target_root(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(RUNS[0])
    _fill_plausible(pair.site / ".git" / "benchsync")
    pair.tamper(lambda doc: doc["files"][0].update(target=".github/workflows/x.yml"))
    before = pair.snapshot()
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert "manifest-target" in out
    assert pair.snapshot() == before
    assert not (pair.site / ".github").exists()


def _tree(root: Path) -> dict[str, tuple[int, bytes]]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = (path.stat().st_mtime_ns, path.read_bytes())
    return found


def test_dry_run_writes_nothing(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    before = _tree(pair.site)
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--dry-run")
    assert code == 0, out
    assert "dry run: nothing written" in out
    assert _tree(pair.site) == before


def test_a_schema_edited_in_place_is_seen(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    bench = pair.bench
    schema_file = Path(__file__).parents[1] / "benchsync_hooks/schemas/leaderboard-v1.json"
    schema = json.loads(schema_file.read_text("utf-8"))
    bench.write("schema.json", schema)
    bench.write(".benchsync.toml", 'schema = "schema.json"\n')
    pair.publish(*RUNS)
    os.chdir(bench.root)
    code, out, _err = run_cli(capsys, "check")
    assert (code, out.splitlines()[-1]) == (0, "4 files checked, 0 problems")
    assert bench.manifest()["format"] == FORMAT
    schema.setdefault("required", []).append("benchmark_owner")
    bench.write("schema.json", schema)
    code, out, _err = run_cli(capsys, "check")
    assert code == 1
    assert out.count("schema-required") == 4, out
    code, out, _err = run_cli(capsys, "manifest", "--check")
    assert code == 1  # the rules changed: the committed manifest is stale


def test_schema_command_loads_no_git_library(bench_file: Path) -> None:
    probe = (
        "import sys\n"
        "from benchsync_hooks.cli import main\n"
        f"code = main(['schema', {str(bench_file)!r}])\n"
        "print(code, sorted(m for m in ('git', 'github', 'gitdb') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "0 []"


@pytest.fixture
def bench_file(tmp_path: Path) -> Path:
    path = tmp_path / RUNS[0].source
    path.parent.mkdir(parents=True)
    path.write_text(samples.dumps(samples.result(RUNS[0])))
    git(tmp_path, "init", "-q")
    return path
