"""``benchsync demo``: the whole flow on bundled sample data in a temporary folder."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import samples
from ..errors import EXIT_OK, UsageError

GOOD = (
    samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input"),
    samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "long_input"),
    samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "stress_test"),
)
STRAY_DIR = "outputs/exp1_gpt2_short"
STRAY_RUN = samples.Run("cpu", "gpt2", "short", "20260129", 1, "short_input")
BROKEN = samples.Run("vllm", "tiny-gpt2", "long", "20260131", 1, "long_input")


def _say(text: str) -> None:
    sys.stdout.write(f"\n== {text}\n")
    sys.stdout.flush()


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    from ..git.repo import run_in

    status, out, err = run_in(repo, *args)
    if check and status:
        raise UsageError(f"demo: git {' '.join(args)} failed: {err.strip()}")
    return subprocess.CompletedProcess(["git", *args], status, out, err)


def _show(proc: subprocess.CompletedProcess[str]) -> None:
    text = (proc.stdout + proc.stderr).rstrip()
    for line in text.splitlines():
        sys.stdout.write(f"   | {line}\n")
    sys.stdout.write(f"   (exit {proc.returncode})\n")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _hook_config() -> str:
    """A pre-commit config running this very installation's hooks (no network)."""
    python = shlex.quote(sys.executable)
    hooks = [
        ("leaderboard-schema", "schema", r"_leaderboard\.json$", "true", "false", "false"),
        ("leaderboard-layout", "layout", r"_leaderboard\.json$", "true", "true", "false"),
        (
            "leaderboard-manifest",
            "manifest",
            r"(_leaderboard\.json|config\.json|sync-manifest\.json)$",
            "false",
            "true",
            "true",
        ),
    ]
    lines = ["repos:", "  - repo: local", "    hooks:"]
    for hook_id, command, files, pass_names, serial, always in hooks:
        ends = " --" if pass_names == "true" else ""  # (a file name is never an option)
        lines += [
            f"      - id: {hook_id}",
            f"        name: {hook_id}",
            "        entry: '"
            + f"{python} -m benchsync_hooks {command}{ends}".replace("'", "''")
            + "'",
            "        language: system",
            f"        files: '{files}'",
            f"        pass_filenames: {pass_names}",
            f"        require_serial: {serial}",
            f"        always_run: {always}",
        ]
    return "\n".join(lines) + "\n"


def build_benchmark_repo(repo: Path) -> None:
    """A benchmark repository with good runs, a stray and a broken result."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "demo@benchsync.invalid")
    _git(repo, "config", "user.name", "benchsync demo")
    _write(repo / ".pre-commit-config.yaml", _hook_config())
    for run in GOOD:
        _write(repo / run.source, samples.dumps(samples.result(run)))
        _write(
            repo / Path(run.source).parent / "config.json", samples.dumps(samples.run_config(run))
        )
    slower = round(samples.result(GOOD[0])["metrics"]["ttft_ms"] * 1.3, 3)  # a regression
    _write(
        repo / STRAY_DIR / "short_input_leaderboard.json",
        samples.dumps(samples.result(STRAY_RUN, metrics__ttft_ms=slower)),
    )
    _write(repo / STRAY_DIR / "config.json", samples.dumps(samples.run_config(STRAY_RUN)))
    broken = samples.dumps(samples.result(BROKEN, metrics__error_rate=1.5))
    broken = broken.replace('"dataset": "default"', '"dataset": "default",\n    "dataset": "x"')
    _write(repo / BROKEN.source, broken)


EARLIER = samples.Run("cpu", "gpt2", "short", "20260120", 1, "short_input")


def build_website_repo(site: Path) -> None:
    """A website repository that already holds an older run and one of the new ones."""
    _git(site, "init", "-q", "-b", "main")
    _git(site, "config", "user.email", "demo@benchsync.invalid")
    _git(site, "config", "user.name", "benchsync demo")
    _write(site / "README.md", "# benchmark website\n")
    _write(site / EARLIER.target, samples.dumps(samples.result(EARLIER)))
    _write(site / GOOD[0].target, samples.dumps(samples.result(GOOD[0])))
    _git(site, "add", "-A")
    _git(site, "commit", "-q", "-m", "website with earlier results")


def website_flow(top: Path, bench: Path) -> None:
    site = top / "website"
    site.mkdir()
    _say("website repository seeded with earlier results")
    build_website_repo(site)
    for path in _git(site, "ls-files", "data").stdout.split():
        sys.stdout.write(f"   {path}\n")
    _say(f"benchsync apply --source {bench.name}  (in website/)")
    proc = _apply(site, bench)
    _show(proc)
    if proc.returncode != 0:
        raise UsageError("demo: apply failed")
    _say("the pull request body")
    body = (site / ".git/benchsync/pr-body.md").read_text("utf-8")
    for line in body.splitlines():
        sys.stdout.write(f"   {line}\n")
    _say("apply again before the pull request is merged: no new commit")
    _show(_apply(site, bench))


def _apply(site: Path, bench: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchsync_hooks", "apply", "--source", str(bench)],
        cwd=site,
        text=True,
        capture_output=True,
        check=False,
    )


def run(*, keep: bool = False) -> int:
    if shutil.which("git") is None:
        raise UsageError("git is not installed; install git to run the demo")
    if importlib.util.find_spec("pre_commit") is None:
        raise UsageError(
            "pre-commit is not installed; pip install 'benchsync-hooks[test]' or pre-commit"
        )
    top = Path(tempfile.mkdtemp(prefix="benchsync-demo-"))
    env = dict(os.environ, PRE_COMMIT_HOME=str(top / "pre-commit-home"))
    os.environ.update(env)
    try:
        repo = top / "benchmark"
        repo.mkdir()
        _say(f"benchmark repository with sample results in {repo.name}/")
        build_benchmark_repo(repo)
        for path in sorted(_git(repo, "ls-files", "-o", "--exclude-standard").stdout.split()):
            sys.stdout.write(f"   {path}\n")
        _git(repo, "add", ".pre-commit-config.yaml")
        _git(repo, "commit", "-q", "--no-verify", "-m", "add pre-commit config")
        _say("pre-commit install")
        _show(
            subprocess.run(
                [sys.executable, "-m", "pre_commit", "install"],
                cwd=repo,
                text=True,
                capture_output=True,
                check=False,
            )
        )
        _say("git commit with a stray and a broken result: the hooks stop it")
        _git(repo, "add", "outputs")
        first = _git(repo, "commit", "-m", "add results", check=False)
        _show(first)
        if first.returncode == 0:
            raise UsageError("demo: the hooks let a broken commit through")
        _say("fix: move the stray where its config.json says, repair the broken file")
        _git(repo, "mv", STRAY_DIR, str(Path(STRAY_RUN.source).parent))
        sys.stdout.write(f"   git mv {STRAY_DIR} {Path(STRAY_RUN.source).parent}\n")
        _write(repo / BROKEN.source, samples.dumps(samples.result(BROKEN)))
        _git(repo, "add", "outputs")
        _say("git commit again: the manifest hook writes the manifest and asks for git add")
        second = _git(repo, "commit", "-m", "add results", check=False)
        _show(second)
        _git(repo, "add", "outputs/sync-manifest.json")
        _say("git add outputs/sync-manifest.json && git commit")
        third = _git(repo, "commit", "-m", "add results", check=False)
        _show(third)
        if third.returncode != 0:
            raise UsageError("demo: the fixed commit was refused")
        manifest = json.loads((repo / "outputs/sync-manifest.json").read_text("utf-8"))
        _say(f"the manifest lists {len(manifest['files'])} files")
        for item in manifest["files"]:
            sys.stdout.write(f"   {item['source']}\n     -> {item['target']}\n")
        website_flow(top, repo)
    finally:
        if keep:
            sys.stdout.write(f"\nkept: {top}\n")
        else:
            shutil.rmtree(top, ignore_errors=True)
    return EXIT_OK
