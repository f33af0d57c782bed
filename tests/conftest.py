"""Shared fixtures: real temporary git repositories and a generator of results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
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


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (asked of git itself)."""
    proc = subprocess.run(
        ["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True
    )
    return proc.stdout.decode().strip()


def canonical_bytes(data: bytes) -> bytes:
    """The form the website receives: pre-commit's pretty-format-json default style
    (two-space indent, sorted keys, ASCII escapes, one final newline)."""
    value = json.loads(data)
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()


#: A fresh repository of each kind below (init_repo's, new_site's), made once per test
#: process by ``_repo_templates``; a new repository is a copy of it (4 ms) instead of the 4 to
#: 10 git processes that make it (50-130 ms, for about 300 tests). git keeps no path in a
#: repository's own files, so the copy is the same repository.
TEMPLATES: dict[str, Path] = {}


@pytest.fixture(scope="session", autouse=True)
def _repo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    root = tmp_path_factory.mktemp("templates")
    made = {"repo": _init_repo(root / "repo"), "site": _new_site(root / "site")}
    TEMPLATES.update(made)
    yield
    TEMPLATES.clear()


def _copy_of(kind: str, path: Path) -> bool:
    """Make ``path`` a copy of the fresh repository ``kind``, if there is one and ``path`` is
    not a repository already (re-running git init there keeps what it has)."""
    if kind not in TEMPLATES or (path / ".git").exists():
        return False
    shutil.copytree(TEMPLATES[kind], path, symlinks=True, dirs_exist_ok=True)
    return True


def init_repo(path: Path) -> Path:
    """A repository with no commit on branch main, with a committer and no signing."""
    return path if _copy_of("repo", path) else _init_repo(path)


def _init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@benchsync.invalid")
    git(path, "config", "user.name", "benchsync test")
    git(path, "config", "commit.gpgsign", "false")
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow tests (``@pytest.mark.slow(SECONDS)``) first, spread over the
    pytest-xdist workers. ``--dist worksteal`` gives each worker one contiguous share of the
    collection and later moves tests from the end of one share to another, never a test that
    has started: so the slow tests go to the heads of the shares, the slowest first, dealt
    one share after the other, and every share ends with short tests."""

    def seconds(item: pytest.Item) -> float:
        mark = item.get_closest_marker("slow")
        return float(mark.args[0]) if mark else 0.0

    slow = sorted((item for item in items if seconds(item)), key=seconds, reverse=True)
    if not slow:
        return
    rest = [item for item in items if not seconds(item)]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    ordered: list[pytest.Item] = []
    left = len(items)
    for worker in range(workers):
        size = left // (workers - worker)  # the share worksteal sends this worker
        left -= size
        heads = slow[worker::workers]
        fill = max(0, size - len(heads))
        ordered += heads + rest[:fill]
        rest = rest[fill:]
    items[:] = ordered + rest


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``build`` once per test run and shared by the
    pytest-xdist workers (whoever comes first builds it, the others wait for it). Tests
    read or copy it; none changes it."""
    from filelock import FileLock

    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, above each worker's own
    folder, done = base / name, base / f"{name}.done"
    with FileLock(str(base / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


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

    def publish(self, *runs: samples.Run, **overrides: Any) -> None:
        """Add results, regenerate the manifest (its output swallowed), commit everything."""
        import contextlib
        import io
        import os

        for run in runs:
            self.add_run(run, **overrides)
        self.stage()
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                main(["manifest"])
        finally:
            os.chdir(cwd)
        self.stage()
        self.commit("results")

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


def record_fetches(monkeypatch: pytest.MonkeyPatch, seen: list[tuple[str, str]]) -> None:
    """After each real fetch of a URL source: (whether the repository fetched into is
    shallow, how many commits it holds), appended to ``seen``."""
    from benchsync_hooks.git.repo import GitRepo
    from benchsync_hooks.sync import source

    real = source.fetch

    def fetch(repo: GitRepo, url: str, ref: str, *, into: str, shown: str) -> None:
        real(repo, url, ref, into=into, shown=shown)
        shallow = git(repo.root, "rev-parse", "--is-shallow-repository").strip()
        seen.append((shallow, git(repo.root, "rev-list", "--count", "--all").strip()))

    monkeypatch.setattr(source, "fetch", fetch)


def new_site(path: Path) -> Path:
    """A website repository whose one commit adds a README."""
    return path if _copy_of("site", path) else _new_site(path)


def _new_site(path: Path) -> Path:
    _init_repo(path)
    (path / "README.md").write_text("# site\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "init")
    return path


def seed_site(site: Path, *runs: samples.Run, **overrides: Any) -> None:
    """Commit these runs' results in the website, as an earlier sync would have put them."""
    for run in runs:
        path = site / run.target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(samples.dumps(samples.result(run, **overrides)))
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "seed")


RUNS = [
    samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input"),
    samples.Run("cpu", "gpt2", "short", "20260129", 1, "short_input"),
    samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "long_input"),
    samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "stress_test"),
]
BRANCH = "benchsync/sync-results"


class Pair:
    """A benchmark repository with a committed manifest and a website repository."""

    def __init__(self, tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.bench = BenchRepo(init_repo(tmp / "bench"))
        self.site = new_site(tmp / "site")

    @classmethod
    def of(cls, bench: Path, site: Path, capsys: pytest.CaptureFixture[str]) -> Pair:
        """The pair of two repositories that exist already."""
        made = cls.__new__(cls)
        made.capsys, made.bench, made.site = capsys, BenchRepo(bench), site
        return made

    def publish(self, *runs: samples.Run, **overrides: Any) -> None:
        """Add results in the benchmark repo, regenerate the manifest, commit."""
        self.bench.publish(*runs, **overrides)

    def commit_site(self, message: str, files: Mapping[str, str | bytes]) -> None:
        """Write these files (paths in the website) and commit them, with all else there."""
        for rel, content in files.items():
            path = self.site / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        self.site_git("add", "-A")
        self.site_git("commit", "-q", "-m", message)

    def link_in_site(self, rel: str) -> Path:
        """Commit ``rel`` in the website as a symlink to an empty folder outside it."""
        outside = self.site.parent / "outside"
        outside.mkdir()
        (self.site / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.site / rel).symlink_to(outside)
        self.site_git("add", "-A")
        self.site_git("commit", "-q", "-m", "link")
        return outside

    def tamper(self, mutate: Callable[[dict[str, Any]], None]) -> None:
        doc = self.bench.manifest()
        mutate(doc)
        self.bench.write("outputs/sync-manifest.json", json.dumps(doc, indent=2) + "\n")
        self.bench.stage()
        self.bench.commit("tampered manifest")

    def site_git(self, *args: str) -> str:
        return git(self.site, *args)

    def site_file(self, run: samples.Run) -> Path:
        return self.site / run.target

    def seed_site(self, *runs: samples.Run, **overrides: Any) -> None:
        seed_site(self.site, *runs, **overrides)

    def snapshot(self) -> dict[str, bytes]:
        files = {}
        for path in sorted(self.site.rglob("*")):
            if ".git" in path.relative_to(self.site).parts or not path.is_file():
                continue
            files[path.relative_to(self.site).as_posix()] = path.read_bytes()
        return files


@pytest.fixture
def pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Pair:
    for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(key, raising=False)
    made = Pair(tmp_path, capsys)
    monkeypatch.chdir(made.site)
    return made
