"""The hooks run through real pre-commit: try-repo, and a commit stopped then accepted."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RUN, BenchRepo, git, init_repo

from benchsync_hooks import samples

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """A committed snapshot of this working tree (uncommitted changes included)."""
    snapshot = init_repo(tmp_path_factory.mktemp("hooks") / "benchsync-hooks")
    files = git(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for rel in filter(None, files):
        source = PROJECT / rel
        if not source.is_file():
            continue
        dest = snapshot / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(source.read_bytes())
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    sha = git(snapshot, "rev-parse", "HEAD").strip()
    home = tmp_path_factory.mktemp("pre-commit-home")
    yield snapshot, sha, home


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "PRE_COMMIT_HOME": str(home),
    }
    import os

    for key in (
        "HOME",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "PIP_CONFIG_FILE",
    ):
        if key in os.environ:
            env[key] = os.environ[key]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        check=False,
        timeout=600,
    )


def test_try_repo_schema_and_layout(bench: BenchRepo, hooks_repo: tuple[Path, str, Path]) -> None:
    snapshot, _sha, home = hooks_repo
    bench.add_run(RUN)
    stray = "outputs/exp1_gpt2_short/short_input_leaderboard.json"
    bench.write(stray, samples.result(RUN, entry_id="00000000-0000-4000-8000-000000000002"))
    bad = samples.Run("cpu", "gpt2", "long", "20260128", 1, "long_input")
    bench.add_run(bad, metrics__error_rate=7)
    bench.stage()

    schema = _pre_commit(bench.root, home, "try-repo", str(snapshot), "leaderboard-schema")
    assert schema.returncode == 1, schema.stdout + schema.stderr
    assert f"{bad.source}:" in schema.stdout and "schema-maximum" in schema.stdout
    assert RUN.source + ":" not in schema.stdout

    layout = _pre_commit(bench.root, home, "try-repo", str(snapshot), "leaderboard-layout")
    assert layout.returncode == 1, layout.stdout + layout.stderr
    assert f"{stray}: layout-shape" in layout.stdout
    assert RUN.source + ":" not in layout.stdout

    bench.git("rm", "-q", "--cached", stray, bad.source)
    ok = _pre_commit(bench.root, home, "try-repo", str(snapshot), "leaderboard-schema")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "leaderboard schema" in ok.stdout and "Passed" in ok.stdout


def installed(bench: BenchRepo, hooks: tuple[Path, str, Path]) -> dict[str, str]:
    """Install the three hooks of ``hooks`` in ``bench``; the environment to commit with."""
    import os

    snapshot, sha, home = hooks
    bench.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {snapshot}\n    rev: {sha}\n    hooks:\n"
        "      - id: leaderboard-schema\n      - id: leaderboard-layout\n"
        "      - id: leaderboard-manifest\n",
    )
    bench.stage()
    bench.commit("config")
    assert _pre_commit(bench.root, home, "install").returncode == 0
    path = str(Path(sys.executable).parent) + ":/usr/bin:/bin"
    return dict(os.environ, PRE_COMMIT_HOME=str(home), PATH=path)


def commit(bench: BenchRepo, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the installed hooks."""
    return subprocess.run(
        ["git", "commit", "-m", "change"],
        cwd=bench.root,
        env=env,
        text=True,
        capture_output=True,
        check=False,
        timeout=600,
    )


def test_commit_stopped_by_manifest_then_accepted(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    env = installed(bench, hooks_repo)
    bench.add_run(RUN)
    bench.stage()
    first = commit(bench, env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "manifest updated: git add outputs/sync-manifest.json" in first.stdout + first.stderr
    bench.git("add", "outputs/sync-manifest.json")
    second = commit(bench, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert bench.git("ls-files", "outputs/sync-manifest.json").strip()
    assert [f["source"] for f in bench.manifest()["files"]] == [RUN.source]
