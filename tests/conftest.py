"""Shared fixtures: real temporary git repositories and a generator of results."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchsync_hooks import samples
from benchsync_hooks.cli import main

RUN = samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input")


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, text=True, capture_output=True, check=False)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@benchsync.invalid")
    git(path, "config", "user.name", "benchsync test")
    git(path, "config", "commit.gpgsign", "false")
    return path


class BenchRepo:
    """A benchmark repository in tmp_path, with helpers to write and stage results."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, content: str | bytes | dict[str, Any] | list[Any]) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, (dict, list)):
            content = samples.dumps(content)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    def add_run(self, run: samples.Run, *, config: bool = True, **overrides: Any) -> str:
        self.write(run.source, samples.result(run, **overrides))
        if config:
            self.write(str(Path(run.source).parent / "config.json"), samples.run_config(run))
        return run.source

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.root, *args, check=check)

    def stage(self, *paths: str) -> None:
        self.git("add", *(paths or ("-A",)))

    def commit(self, message: str = "results") -> None:
        self.git("commit", "-q", "--no-verify", "-m", message)

    def manifest(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(
            (self.root / "outputs/sync-manifest.json").read_text("utf-8")
        )
        return loaded


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BenchRepo]:
    root = init_repo(tmp_path / "bench")
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    yield BenchRepo(root)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
