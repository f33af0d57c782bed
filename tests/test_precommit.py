"""The hooks run through real pre-commit: try-repo, and a commit stopped then accepted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from conftest import RUN, BenchRepo, built_once, git, init_repo

from benchsync_hooks import samples

PROJECT = Path(__file__).resolve().parents[1]
WHEELHOUSE = PROJECT / ".tools" / "wheelhouse"


def _snapshot(folder: Path) -> None:
    """A committed snapshot of this working tree (uncommitted changes included) and an
    empty pre-commit home beside it."""
    snapshot = init_repo(folder / "benchsync-hooks")
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
    (folder / "pre-commit-home").mkdir()


@pytest.fixture(scope="session")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """The snapshot, its commit and the pre-commit home, made once per test run for all the
    workers: the hook environment of the snapshot is installed by the first commit through
    :func:`installed` and reused by the others (pre-commit locks its home while it installs)."""
    folder = built_once(tmp_path_factory, "hooks", _snapshot)
    snapshot = folder / "benchsync-hooks"
    return snapshot, git(snapshot, "rev-parse", "HEAD").strip(), folder / "pre-commit-home"


def _pip(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the pip settings a hook environment is installed with: the pinned wheels
    that ``make test`` downloads into .tools/wheelhouse (offline, faster than an index), else
    this environment's own."""
    if not (WHEELHOUSE / ".complete").is_file():
        keys = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE")
        return {**env, **{key: os.environ[key] for key in keys if key in os.environ}}
    kept = {key: value for key, value in env.items() if not key.startswith("PIP_")}
    offline = {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    return {**kept, **offline, "PIP_FIND_LINKS": str(WHEELHOUSE)}


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "PRE_COMMIT_HOME": str(home),
    }
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    env = _pip(env)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        check=False,
        timeout=600,
    )


@pytest.mark.slow(25)
def test_try_repo_schema_and_layout(bench: BenchRepo, hooks_repo: tuple[Path, str, Path]) -> None:
    snapshot, _sha, home = hooks_repo
    bench.add_run(RUN)
    stray = "outputs/exp1_gpt2_short/short_input_leaderboard.json"
    bench.write(stray, samples.result(RUN, entry_id="00000000-0000-4000-8000-000000000002"))
    bad = samples.Run("cpu", "gpt2", "long", "20260128", 1, "long_input")
    bench.add_run(bad, metrics__error_rate=7)
    # a file name that reads as an option: without the hooks' "--" it would swap the schema
    # for one that accepts anything (and the bad result above would pass)
    injected = "--schema=s_leaderboard.json"
    bench.write(injected, "{}")
    bench.write("s_leaderboard.json", "{}")
    bench.stage()

    # every hook of the repository in one environment; each hook's own part of the output
    tried = _pre_commit(bench.root, home, "try-repo", str(snapshot))
    assert tried.returncode == 1, tried.stdout + tried.stderr
    hooks = _by_hook(tried.stdout)

    schema = hooks.get("leaderboard-schema", "")
    assert "- exit code: 1\n" in schema, tried.stdout
    assert f"{bad.source}:" in schema and "schema-maximum" in schema
    assert f"{injected}:1:1: schema-required" in schema
    assert RUN.source + ":" not in schema

    layout = hooks.get("leaderboard-layout", "")
    assert "- exit code: 1\n" in layout, tried.stdout
    assert f"{stray}: layout-shape" in layout
    assert RUN.source + ":" not in layout

    bench.git("rm", "-q", "--cached", "--", stray, bad.source, injected, "s_leaderboard.json")
    ok = _pre_commit(bench.root, home, "try-repo", str(snapshot), "leaderboard-schema")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "leaderboard schema" in ok.stdout and "Passed" in ok.stdout


def _by_hook(output: str) -> dict[str, str]:
    """pre-commit's output cut into each hook's part (its status line on), by hook id; a
    hook that passed shows no id, so it has no part."""
    parts = re.split(r"^(?=\S.*?\.{3,}(?:Passed|Failed|Skipped)$)", output, flags=re.MULTILINE)
    found = {}
    for part in parts:
        hook_id = re.search(r"^- hook id: (\S+)$", part, re.MULTILINE)
        if hook_id:
            found[hook_id.group(1)] = part
    return found


def installed(bench: BenchRepo, hooks: tuple[Path, str, Path]) -> dict[str, str]:
    """Install the three hooks of ``hooks`` in ``bench``; the environment to commit with."""
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
    return _pip(dict(os.environ, PRE_COMMIT_HOME=str(home), PATH=path))


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


@pytest.mark.slow(10)
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
