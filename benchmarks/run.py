"""benchsync against the alternatives: wall time (median of N after a warm-up) and peak RSS.

Run with ``make bench``. Prints one markdown table. Numbers, not assertions: the
targets are printed next to the measured ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import (
    add_results,
    benchmark_repo,
    git,
    website_commit,
    website_repo,
    with_manifest,
)

from benchsync_hooks import samples

BIN = Path(sys.executable).parent
SCHEMA = Path(__file__).resolve().parents[1] / "benchsync_hooks/schemas/leaderboard-v1.json"


@dataclass
class Measure:
    seconds: float
    rss_mb: float


def measure(
    argv: Sequence[str], cwd: Path, *, runs: int, before: Callable[[], None] | None = None
) -> Measure:
    """Median wall time over ``runs`` runs after one warm-up; the largest peak RSS."""
    times: list[float] = []
    peak = 0
    for i in range(runs + 1):
        if before is not None:
            before()
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _pid, _status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if i:
            times.append(elapsed)
            peak = max(peak, usage.ru_maxrss)
    return Measure(statistics.median(times), peak / 1024)


def run_hash_all(cwd: Path, files: list[str], runs: int) -> Measure:
    """One plain sha256 pass over every file (a Python process reading a file list)."""
    listing = cwd / ".bench-files"
    listing.write_text("\n".join(files), encoding="utf-8")
    code = (
        "import hashlib\n"
        "for p in open('.bench-files').read().split('\\n'):\n"
        "    hashlib.sha256(open(p,'rb').read()).hexdigest()\n"
    )
    return measure([sys.executable, "-c", code], cwd, runs=runs)


BRANCH = "benchsync/sync-results"
PROJECT = Path(__file__).resolve().parents[1]


def installed(top: Path) -> str:
    """benchsync installed from this tree (not editable) into a fresh venv."""
    venv = top / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(PROJECT)],
        check=True,
        capture_output=True,
    )
    return str(venv / "bin" / "benchsync")


@dataclass
class Daily:
    """A website the day after a sync: apply ``bench`` at HEAD after :meth:`reset`."""

    bench: Path
    site: Path
    start: str
    state: Path

    def reset(self, *, keep_state: bool = True) -> None:
        site = self.site
        git(site, "checkout", "-q", "-f", "main")
        git(site, "reset", "-q", "--hard", self.start)
        git(site, "clean", "-qfd")
        if git(site, "branch", "--list", BRANCH).strip():
            git(site, "branch", "-q", "-D", BRANCH)
        shutil.rmtree(site / ".git" / "benchsync", ignore_errors=True)
        if keep_state:
            shutil.copytree(self.state, site / ".git" / "benchsync")


def daily(top: Path, total: int, new: int, benchsync: str) -> Daily:
    """A daily sync: ``new`` results arrive over ``total``.

    Yesterday's state is real: the source had ``total - new`` results (commit C0), the
    website had ``new`` fewer, yesterday's apply of C0 ran, and its pull request was
    merged. :meth:`Daily.reset` returns to exactly that (website at the merge,
    yesterday's ``.git/benchsync``); applying the source's HEAD is today's run.
    """
    bench = top / f"apply-bench-{total}"
    site = top / f"apply-site-{total}"
    all_runs = samples.runs(total)
    benchmark_repo(bench, total - new)
    with_manifest(bench, benchsync)
    yesterday = git(bench, "rev-parse", "HEAD").strip()
    add_results(bench, all_runs[total - new :])
    with_manifest(bench, benchsync)
    website_repo(site, bench, all_runs[: total - 2 * new])
    subprocess.run(
        [benchsync, "apply", "--source", str(bench), "--ref", yesterday],
        cwd=site,
        capture_output=True,
        check=True,
    )
    git(site, "checkout", "-q", "-f", "main")
    website_commit(site, bench, all_runs[total - 2 * new : total - new])  # the merged PR
    state = top / f"apply-state-{total}"
    shutil.copytree(site / ".git" / "benchsync", state)
    return Daily(bench, site, git(site, "rev-parse", "HEAD").strip(), state)


def measure_apply(
    top: Path, total: int, new: int, benchsync: str, runs: int
) -> tuple[Measure, Measure, Measure]:
    """Today's apply (see :func:`daily`), cold without ``.git/benchsync``, and the old way."""
    day = daily(top, total, new, benchsync)
    argv = [benchsync, "apply", "--source", str(day.bench), "--json"]
    warm = measure(argv, day.site, runs=runs, before=day.reset)
    cold = measure(argv, day.site, runs=1, before=lambda: day.reset(keep_state=False))
    naive_script = str(Path(__file__).resolve().parent / "naive_sync.py")
    naive = measure(
        [sys.executable, naive_script, str(day.bench)], day.site, runs=runs, before=day.reset
    )
    day.reset()
    return warm, naive, cold


def row(work: str, us: Measure, alt: Measure | None, alt_name: str, target: str) -> str:
    ratio = f"{us.seconds / alt.seconds:.2f}" if alt else "–"
    alt_text = f"{alt.seconds * 1000:.0f} ms, {alt.rss_mb:.0f} MB ({alt_name})" if alt else alt_name
    return (
        f"| {work} | {us.seconds * 1000:.0f} ms, {us.rss_mb:.0f} MB | {alt_text} | "
        f"{ratio} | {target} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000, help="results for the schema rows")
    parser.add_argument("--tracked", type=int, default=10000, help="results for the manifest row")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument(
        "--scale",
        default="1000,10000,50000",
        help="manifest sizes for the apply scaling rows (comma-separated)",
    )
    parser.add_argument("--new", type=int, default=10, help="new results per apply")
    parser.add_argument(
        "--install",
        choices=("wheel", "editable"),
        default="wheel",
        help="measure a regular install in a fresh venv, as users and pre-commit have it "
        "(default), or this editable development install",
    )
    parser.add_argument(
        "--only",
        choices=("all", "apply"),
        default="all",
        help="measure every row (default) or only the apply rows",
    )
    args = parser.parse_args(argv)

    check_jsonschema = shutil.which("check-jsonschema", path=str(BIN)) or "check-jsonschema"
    top = Path(tempfile.mkdtemp(prefix="benchsync-bench-"))
    lines = [
        f"benchsync benchmarks, {date.today()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, median of {args.runs} runs after a warm-up, "
        f"{args.install} install",
        "",
        "| work | us | alternative | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    try:
        benchsync = installed(top) if args.install == "wheel" else str(BIN / "benchsync")
        if args.only == "all":
            repo = top / "schema"
            runs = benchmark_repo(repo, args.files)
            files = [r.source for r in runs]
            cj = measure(
                [check_jsonschema, "--schemafile", str(SCHEMA), *files], repo, runs=args.runs
            )
            us = measure([benchsync, "schema", *files], repo, runs=args.runs)
            lines.append(row(f"schema, {args.files:,} files", us, cj, "check-jsonschema", "≤ 0.25"))
            layout = measure([benchsync, "layout", *files], repo, runs=args.runs)
            both = Measure(us.seconds + layout.seconds, max(us.rss_mb, layout.rss_mb))
            lines.append(
                row(
                    f"schema + layout, {args.files:,} files", both, cj, "check-jsonschema", "≤ 0.35"
                )
            )
            one_cj = measure(
                [check_jsonschema, "--schemafile", str(SCHEMA), files[0]], repo, runs=args.runs
            )
            one = measure([benchsync, "schema", files[0]], repo, runs=args.runs)
            lines.append(row("schema, one file", one, one_cj, "check-jsonschema", "≤ 1.0"))

            big = top / "manifest"
            big_runs = benchmark_repo(big, args.tracked)
            big_files = [r.source for r in big_runs]
            subprocess.run([benchsync, "manifest"], cwd=big, capture_output=True, check=False)
            changed = big_runs[len(big_runs) // 2]
            counter = [0]

            def change_one() -> None:
                counter[0] += 1
                (big / changed.source).write_text(
                    samples.dumps(samples.result(changed, seed=counter[0])), encoding="utf-8"
                )
                git(big, "add", changed.source)

            manifest = measure([benchsync, "manifest"], big, runs=args.runs, before=change_one)
            hashing = run_hash_all(big, big_files, args.runs)
            lines.append(
                row(
                    f"manifest, {args.tracked:,} tracked, 1 changed",
                    manifest,
                    hashing,
                    "one sha256 pass",
                    "≤ 1.0",
                )
            )
            shutil.rmtree(big / ".git" / "benchsync", ignore_errors=True)
            cold = measure(
                [benchsync, "manifest"],
                big,
                runs=1,
                before=lambda: shutil.rmtree(big / ".git" / "benchsync", ignore_errors=True),
            )
            lines.append(
                row(f"manifest, {args.tracked:,} tracked, full rebuild", cold, None, "–", "–")
            )
        sizes = [int(x) for x in args.scale.split(",") if x]
        scaling: list[tuple[int, Measure]] = []
        for total in sorted(set(sizes) | {args.tracked}):
            us_apply, naive, cold_apply = measure_apply(top, total, args.new, benchsync, args.runs)
            scaling.append((total, us_apply))
            if total == args.tracked:
                work = f"apply, {total:,} in manifest, {args.new} new"
                old_way = "copy all + git add + commit"
                lines.append(row(work, us_apply, naive, old_way, "≤ 0.2"))
                lines.append(row(work + ", cold cache", cold_apply, naive, old_way, "–"))
        first = scaling[0][1].seconds
        for total, m in scaling:
            lines.append(
                f"| apply scaling, {args.new} new over {total:,} | {m.seconds * 1000:.0f} ms, "
                f"{m.rss_mb:.0f} MB | – | {m.seconds / first:.2f}× the {scaling[0][0]:,} case "
                "| near flat |"
            )
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
