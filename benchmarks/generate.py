"""Deterministic benchmark repositories: N valid results in convention, in a real git repo."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchsync_hooks import samples


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def benchmark_repo(root: Path, count: int, *, commit: bool = True) -> list[samples.Run]:
    """A benchmark repository with ``count`` results (and their config.json files)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@benchsync.invalid")
    git(root, "config", "user.name", "benchsync bench")
    runs = samples.runs(count)
    add_results(root, runs)
    if commit:
        git(root, "commit", "-q", "--no-verify", "-m", f"{count} results")
    return runs


def add_results(root: Path, runs: list[samples.Run]) -> None:
    """Write ``runs`` (and their config.json files) into a benchmark repo and stage them."""
    for run in runs:
        path = root / run.source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(samples.dumps(samples.result(run)), encoding="utf-8")
        config = path.parent / "config.json"
        if not config.exists():
            config.write_text(samples.dumps(samples.run_config(run)), encoding="utf-8")
    git(root, "add", "-A")


def website_repo(root: Path, bench: Path, runs: list[samples.Run]) -> None:
    """A website repository holding ``runs`` (copied from the benchmark repo), committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@benchsync.invalid")
    git(root, "config", "user.name", "benchsync bench")
    (root / "README.md").write_text("# website\n", encoding="utf-8")
    website_commit(root, bench, runs)


def website_commit(root: Path, bench: Path, runs: list[samples.Run]) -> None:
    """Copy ``runs`` from the benchmark repo's working tree into the website and commit."""
    for run in runs:
        target = root / run.target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((bench / run.source).read_bytes())
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"{len(runs)} results")


def with_manifest(bench: Path, benchsync: str) -> None:
    """Write and commit the manifest of a benchmark repository."""
    subprocess.run([benchsync, "manifest"], cwd=bench, capture_output=True, check=False)
    git(bench, "add", "-A")
    git(bench, "commit", "-q", "--no-verify", "-m", "manifest")
