"""Crash safety and concurrency of apply, and the repository states it must refuse."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    BRANCH,
    RUNS,
    BenchRepo,
    Pair,
    built_once,
    canonical_bytes,
    git,
    init_repo,
    new_site,
    run_cli,
)

from benchsync_hooks import samples

TRIALS = 20
#: The trials run in batches that pytest-xdist spreads over the CPUs; every batch copies the
#: one website that was made, and whose full apply was timed, once per test run.
BATCHES = 5
PER_BATCH = TRIALS // BATCHES


def _apply_process(pair: Pair) -> subprocess.Popen[bytes]:
    return _apply_in(pair.site, pair.bench.root)


def _apply_in(site: Path, source: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchsync_hooks", "apply", "--source", str(source)],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _expected(pair: Pair) -> dict[str, bytes]:
    manifest = pair.bench.manifest()
    return {
        f["target"]: canonical_bytes((pair.bench.root / f["source"]).read_bytes())
        for f in manifest["files"]
    }


def _reset(site: Path, start: str) -> None:
    git(site, "checkout", "-q", "-f", "main")
    git(site, "reset", "-q", "--hard", start)
    git(site, "clean", "-qfd")
    if git(site, "branch", "--list", BRANCH).strip():
        git(site, "branch", "-q", "-D", BRANCH)


def _timed_sync(folder: Path) -> None:
    """300 results published, a website that had one full apply then was reset to its
    start, and how long that apply took (timing.json)."""
    bench = BenchRepo(init_repo(folder / "bench"))
    bench.publish(*samples.runs(300))
    site = new_site(folder / "site")
    start = git(site, "rev-parse", "HEAD").strip()
    began = time.monotonic()
    proc = _apply_in(site, bench.root)
    assert proc.wait(timeout=120) == 0
    duration = time.monotonic() - began
    _reset(site, start)
    (folder / "timing.json").write_text(json.dumps({"start": start, "duration": duration}))


@pytest.fixture(scope="session")
def timed_sync(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory, "timed-sync", _timed_sync)


@pytest.mark.slow(20)
@pytest.mark.parametrize("batch", range(BATCHES))
def test_sigkill_at_random_moments(
    timed_sync: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], batch: int
) -> None:
    site = tmp_path / "site"
    shutil.copytree(timed_sync / "site", site, symlinks=True)
    pair = Pair.of(timed_sync / "bench", site, capsys)  # the source is only read
    timing = json.loads((timed_sync / "timing.json").read_text("utf-8"))
    start, duration = timing["start"], timing["duration"]
    expected = _expected(pair)
    rng = random.Random(20261128 + batch)
    clean = 0
    interrupted = 0
    for trial in range(PER_BATCH):
        _reset(site, start)
        proc = _apply_process(pair)
        # The trials of all batches cut [0, 1.1 x duration] into TRIALS equal slices; each
        # kills at a random moment of its own slice. Every batch has an early slice.
        part = trial * BATCHES + batch
        time.sleep(rng.uniform(part, part + 1) / TRIALS * duration * 1.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        # every result file is absent or complete
        results = pair.site / "data/results"
        found = [p for p in results.rglob("*") if p.is_file()] if results.exists() else []
        head = pair.site_git("symbolic-ref", "--short", "HEAD").strip()
        interrupted += head != BRANCH or len(found) < len(expected)
        for path in found:
            rel = path.relative_to(pair.site).as_posix()
            assert rel in expected, (trial, rel)
            assert path.read_bytes() == expected[rel], (trial, rel)
        # nothing but result files is visible to git
        status = pair.site_git("status", "--porcelain", "--untracked-files=all").splitlines()
        assert all(line[3:] in expected for line in status), (trial, status[:5])
        fsck = subprocess.run(
            ["git", "fsck", "--no-progress"],
            cwd=pair.site,
            capture_output=True,
            text=True,
            check=False,
        )
        assert fsck.returncode == 0 and "error" not in fsck.stderr.lower(), (trial, fsck.stderr)
        # a rerun converges to the full result
        proc = _apply_process(pair)
        assert proc.wait(timeout=120) == 0, trial
        assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH
        assert pair.site_git("status", "--porcelain") == ""
        for target, data in expected.items():
            assert (pair.site / target).read_bytes() == data
        clean += 1
    assert clean == PER_BATCH
    assert interrupted >= 1  # the kills did land before the apply had finished


def test_a_second_apply_waits_or_gives_up(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    from filelock import FileLock

    pair.publish(*RUNS)
    pair.commit_site("config", {".benchsync.toml": "lock_timeout = 0.3\n"})
    lock = pair.site / ".git/benchsync/apply.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock)):
        code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2 and out == ""
    assert "another apply is running on this website" in err and "lock_timeout" in err
    assert pair.site_git("branch", "--list", BRANCH) == ""
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0


@pytest.mark.slow(18)
def test_two_applies_at_once(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*samples.runs(150))
    expected = _expected(pair)
    clean = 0
    for _trial in range(5):
        start = pair.site_git("rev-parse", "main").strip()
        _reset(pair.site, start)
        first, second = _apply_process(pair), _apply_process(pair)
        assert (first.wait(timeout=120), second.wait(timeout=120)) == (0, 0)
        assert pair.site_git("rev-list", "--count", f"main..{BRANCH}").strip() == "1"
        assert pair.site_git("status", "--porcelain") == ""
        for target, data in expected.items():
            assert (pair.site / target).read_bytes() == data
        clean += 1
    assert clean == 5


def test_two_manifests_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = Pair(tmp_path, capsys)
    for run in samples.runs(400):
        pair.bench.add_run(run)
    pair.bench.stage()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchsync_hooks", "manifest"],
            cwd=pair.bench.root,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    assert set(codes) <= {0, 1} and 1 in codes  # at least one wrote it, none crashed
    together = (pair.bench.root / "outputs/sync-manifest.json").read_bytes()
    assert not (pair.bench.root / ".git/benchsync").exists()  # no state on the benchmark side
    monkeypatch.chdir(pair.bench.root)
    (pair.bench.root / "outputs/sync-manifest.json").unlink()
    run_cli(capsys, "manifest")
    assert (pair.bench.root / "outputs/sync-manifest.json").read_bytes() == together
    assert len(json.loads(together)["files"]) == 400


@pytest.mark.parametrize("state", ["rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"])
def test_website_mid_operation(pair: Pair, capsys: pytest.CaptureFixture[str], state: str) -> None:
    pair.publish(*RUNS)
    marker = pair.site / ".git" / state
    if state.startswith("rebase"):
        marker.mkdir()
    else:
        marker.write_text(pair.site_git("rev-parse", "HEAD"))
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2
    word = "rebase" if state.startswith("rebase") else "cherry-pick"
    assert f"in the middle of a {word}; finish it (git {word} --continue)" in err
    assert f"or abort it (git {word} --abort) first" in err
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_shallow_source_clone(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pair.publish(*RUNS)
    pair.publish(samples.Run("vllm", "tiny-gpt2", "long", "20260131", 1, "long_input"))
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", pair.bench.root.as_uri(), str(shallow))
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    capsys.readouterr()
    code, out, err = run_cli(capsys, "apply", "--source", str(shallow), "--json")
    assert code == 0, err
    assert len(json.loads(out)["new"]) == 5


def test_empty_source_repository(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", str(empty))
    code, out, err = run_cli(capsys, "apply", "--source", str(empty))
    assert (code, out) == (2, "")
    assert "has no commits yet" in err
    code, _out, err = run_cli(capsys, "apply", "--source", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err


def test_ctrl_c_during_apply_is_one_line_and_leaves_the_website_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C once apply holds its lock (while it plans): exit 130, one line that says
    what holds, the website as it was and no temp file; a rerun syncs it all."""
    pair = Pair(tmp_path, capsys)
    pair.publish(*samples.runs(300))
    before = pair.snapshot()
    lock = pair.site / ".git/benchsync/apply.lock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchsync_hooks", "apply", "--source", str(pair.bench.root)],
        cwd=pair.site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not lock.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (
        130,
        "",
        "benchsync apply: stopped by Ctrl-C (SIGINT); every website file is whole, as it was "
        "or synced: run it again to finish\n",
    )
    assert pair.snapshot() == before
    assert pair.site_git("status", "--porcelain") == ""
    assert not any((pair.site / ".git/benchsync/tmp").iterdir())
    again = _apply_process(pair)
    assert again.wait(timeout=120) == 0
    assert pair.site_git("rev-list", "--count", f"main..{BRANCH}").strip() == "1"
