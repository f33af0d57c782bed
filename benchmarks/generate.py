"""Deterministic benchmark repositories: N valid results in convention, in a real git repo.

Every repository is created with ``gc.auto=0`` and packed once it is built (``pack``), as a
clone or a fetch would leave it: no automatic ``git gc`` starts in the background while
something is being timed, and every timed run sees the same object store.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from benchsync_hooks import samples

MANIFEST = "outputs/sync-manifest.json"
MANIFEST_FORMAT = "benchsync-manifest/v2"
_BLOB_ID = re.compile(r"[0-9a-f]{40}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def init_repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@benchsync.invalid")
    git(root, "config", "user.name", "benchsync bench")
    git(root, "config", "gc.auto", "0")


def pack(repo: Path) -> None:
    """Pack every object (not timed), as a clone or a fetch leaves a repository."""
    git(repo, "gc", "-q", "--prune=now")


def benchmark_repo(root: Path, count: int, *, commit: bool = True) -> list[samples.Run]:
    """A benchmark repository with ``count`` results (and their config.json files)."""
    init_repo(root)
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
    init_repo(root)
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


def make_manifest(bench: Path, benchsync: str, expected: int) -> float:
    """Run ``benchsync manifest`` (this package, never a hand-written manifest) in ``bench``
    and check what it wrote: format v2, ``expected`` entries, each with its source's blob id.

    Returns the seconds the command took. Fails loudly when the command does.
    """
    start = time.perf_counter()
    proc = subprocess.run(
        [benchsync, "manifest"], cwd=bench, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(
            f"benchsync manifest failed in {bench} (exit {proc.returncode}):\n"
            f"{proc.stdout}{proc.stderr}"
        )
    check_manifest(bench, expected)
    return elapsed


def check_manifest(bench: Path, expected: int) -> None:
    path = bench / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"no readable manifest at {path}: {exc}") from None
    problems = []
    if doc.get("format") != MANIFEST_FORMAT:
        problems.append(f"format {doc.get('format')!r}, expected {MANIFEST_FORMAT!r}")
    files = doc.get("files", [])
    if len(files) != expected:
        problems.append(f"{len(files)} entries, expected {expected}")
    git_ids: dict[str, str] = {}
    for record in git(bench, "ls-files", "-s", "-z", "--", "outputs").split("\0"):
        if record:
            meta, rel = record.split("\t", 1)
            git_ids[rel] = meta.split()[1]
    wrong = [f.get("source") for f in files if f.get("blob") != git_ids.get(f.get("source"))]
    if wrong or not all(_BLOB_ID.fullmatch(str(f.get("blob"))) for f in files):
        problems.append(f"{len(wrong)} entries without the source's blob id (first: {wrong[:1]})")
    configs = [
        f.get("source")
        for f in files
        if f.get("config_blob")
        != git_ids.get(str(f.get("source")).rsplit("/", 1)[0] + "/config.json")
    ]
    if configs:
        problems.append(f"{len(configs)} entries without the config.json blob id ({configs[:1]})")
    if problems:
        raise SystemExit(f"unexpected manifest at {path}: " + "; ".join(problems))


def with_manifest(bench: Path, benchsync: str, expected: int) -> float:
    """Write the manifest of a benchmark repository with the package, check it, commit it."""
    elapsed = make_manifest(bench, benchsync, expected)
    git(bench, "add", "-A")
    git(bench, "commit", "-q", "--no-verify", "-m", "manifest")
    return elapsed
