"""benchsync against the alternatives of issue 11, side by side in one run.

Run with ``make bench`` (the full sizes, a few minutes on two CPUs) or with ``--quick``
(small sizes, two runs: a smoke run). Prints one markdown table: the median wall time of
whole processes after one warm-up, its spread (min–max) and the largest peak RSS (wait4:
of the process or of the largest of its waited-for children, such as git). Numbers, not
assertions: each target is printed next to its ratio, marked met (✓) or missed (✗).

Side by side: the commands compared in a row run interleaved, one of each per round (the
order rotating from round to round), so load from elsewhere on the machine hits them
alike; the ratio is the ratio of the medians, with the range of the per-round ratios.

No state: the package keeps none outside git, so every timed ``apply`` starts from the
same git state: the website reset (not timed) to yesterday's merged pull request, the sync
branch deleted, ``.git/benchsync`` (lock file, PR body) removed as on a fresh checkout.
Every manifest is written by the package itself (``benchsync manifest``) and checked to
be v2 with the blob id of each source.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))

from action_runner import copy_action
from generate import (
    MANIFEST,
    add_results,
    benchmark_repo,
    check_manifest,
    git,
    pack,
    website_repo,
    with_manifest,
)

from benchsync_hooks import samples

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT / "benchsync_hooks/schemas/leaderboard-v1.json"
NAIVE = Path(__file__).resolve().parent / "naive_sync.py"
RUNNER = PROJECT / "tests" / "action_runner.py"
#: what actions/setup-python would provide: the interpreter this venv was made from
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
BRANCH = "benchsync/sync-results"
GROUPS = ("schema", "one-file", "manifest", "apply", "scaling", "action")


# --- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """Wall times of the timed runs (in round order) and the largest peak RSS."""

    times: tuple[float, ...]
    rss_mb: float

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def __add__(self, other: Measure) -> Measure:
        """Two commands run one after the other (per round), e.g. two hooks."""
        return Measure(
            tuple(a + b for a, b in zip(self.times, other.times, strict=True)),
            max(self.rss_mb, other.rss_mb),
        )

    def text(self) -> str:
        return (
            f"{ms(self.median)} ms ({ms(min(self.times))}–{ms(max(self.times))}), "
            f"{self.rss_mb:.0f} MB"
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


@dataclass(frozen=True)
class Case:
    """One command to time; ``before`` runs untimed before each run (warm-up included)."""

    name: str
    argv: Sequence[str]
    cwd: Path
    before: Callable[[], None] | None = None
    ok: tuple[int, ...] = (0,)
    #: checks the warm-up's stdout (raise SystemExit when the command did not do its work)
    verify: Callable[[str], None] | None = None


#: Starts one command and reports its wall time, peak RSS and exit code. A child's peak
#: RSS (ru_maxrss) starts at the RSS of the process it was forked or spawned from, so
#: commands are spawned from this small process (~10 MB), not from this script, which
#: holds the generated repositories' listings; timing here leaves its start-up out.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_pid, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
with open(sys.argv[1], "w") as report:
    report.write(f"{elapsed!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_once(case: Case, scratch: Path, *, warm_up: bool) -> tuple[float, int]:
    """One run of ``case``: (seconds, peak RSS in KiB). Fails loudly on an unexpected exit."""
    if case.before is not None:
        case.before()
    out_path, err_path, report = scratch / "stdout", scratch / "stderr", scratch / "rusage"
    report.unlink(missing_ok=True)
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(report)]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run([*launcher, *case.argv], cwd=case.cwd, stdout=out, stderr=err, check=True)
    seconds, rss, code = report.read_text(encoding="utf-8").split()
    if int(code) not in case.ok:
        raise SystemExit(
            f"{case.name}: exit {code} (expected {case.ok}) from "
            f"{' '.join(map(str, case.argv))} in {case.cwd}:\n"
            + out_path.read_text(errors="replace")[-2000:]
            + err_path.read_text(errors="replace")[-4000:]
        )
    if warm_up and case.verify is not None:
        case.verify(out_path.read_text(encoding="utf-8"))
    return float(seconds), int(rss)


STARTED = time.perf_counter()


def note(message: str) -> None:
    """Progress on stderr (the table alone goes to stdout)."""
    print(f"[{time.perf_counter() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def compare(cases: Sequence[Case], runs: int, scratch: Path) -> dict[str, Measure]:
    """Run every case once (warm-up, checked), then ``runs`` rounds of one run each."""
    note(f"timing {', '.join(c.name for c in cases)}: a warm-up and {runs} rounds")
    times: dict[str, list[float]] = {c.name: [] for c in cases}
    peak: dict[str, int] = dict.fromkeys(times, 0)
    for c in cases:
        run_once(c, scratch, warm_up=True)
    for r in range(runs):
        k = r % len(cases)
        for c in [*cases[k:], *cases[:k]]:
            seconds, rss = run_once(c, scratch, warm_up=False)
            times[c.name].append(seconds)
            peak[c.name] = max(peak[c.name], rss)
    return {name: Measure(tuple(t), peak[name] / 1024) for name, t in times.items()}


# --- the table -----------------------------------------------------------------------------


@dataclass
class Table:
    lines: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def row(
        self,
        work: str,
        us: Measure,
        alt: Measure | None,
        alt_name: str,
        *,
        limit: float | None = None,
        rss_limit: float | None = None,
    ) -> None:
        if alt is None:
            alt_text, ratio_text, ratio = alt_name, "–", None
        else:
            ratio = us.median / alt.median
            per_round = [a / b for a, b in zip(us.times, alt.times, strict=True)]
            alt_text = f"{alt.text()} ({alt_name})"
            ratio_text = f"{ratio:.2f} ({min(per_round):.2f}–{max(per_round):.2f})"
        targets = []
        if limit is not None:
            met = ratio is not None and ratio <= limit
            targets.append(f"≤ {limit:g}× {'✓' if met else '✗'}")
            if not met:
                self.missed.append(f"{work}: {ratio_text} > {limit:g}×")
        if rss_limit is not None:
            met = us.rss_mb <= rss_limit
            targets.append(f"≤ {rss_limit:g} MB {'✓' if met else '✗'}")
            if not met:
                self.missed.append(f"{work}: {us.rss_mb:.0f} MB > {rss_limit:g} MB")
        target = ", ".join(targets) or "–"
        self.lines.append(f"| {work} | {us.text()} | {alt_text} | {ratio_text} | {target} |")

    def info(self, work: str, text: str) -> None:
        self.lines.append(f"| {work} | {text} | – | – | – |")


# --- the repositories ----------------------------------------------------------------------


def tree_state() -> str:
    """The commit measured, and whether the tree had uncommitted changes then."""
    try:
        head = git(PROJECT, "rev-parse", "--short", "HEAD").strip()
        dirty = git(PROJECT, "status", "--porcelain", "--", "benchsync_hooks", "pyproject.toml")
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return head + (" + uncommitted changes" if dirty.strip() else "")


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


@dataclass(frozen=True)
class Daily:
    """A website the day after a sync: today's apply of ``bench`` at HEAD after :meth:`reset`."""

    total: int
    bench: Path
    site: Path
    start: str

    def reset(self) -> None:
        """Yesterday's merged state again (the same git state before every timed run)."""
        site = self.site
        git(site, "checkout", "-q", "-f", "main")
        git(site, "reset", "-q", "--hard", self.start)
        git(site, "clean", "-qfdx")
        if git(site, "branch", "--list", BRANCH).strip():
            git(site, "branch", "-q", "-D", BRANCH)
        shutil.rmtree(site / ".git" / "benchsync", ignore_errors=True)


def apply_json(benchsync: str, site: Path, *args: str) -> dict[str, object]:
    proc = subprocess.run(
        [benchsync, "apply", "--json", *args],
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"benchsync apply failed in {site}:\n{proc.stdout}{proc.stderr}")
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def expect_new(new: int) -> Callable[[str], None]:
    def verify(stdout: str) -> None:
        doc = json.loads(stdout)
        counts = (len(doc["new"]), len(doc["updated"]), len(doc["rejected"]))
        if counts != (new, 0, 0) or not doc["commit"]:
            raise SystemExit(
                f"apply: expected {new} new, 0 updated, 0 rejected and a commit; "
                f"got {counts}, commit {doc['commit']}"
            )

    return verify


def daily(top: Path, total: int, new: int, benchsync: str) -> Daily:
    """A daily sync: ``new`` results arrive over ``total - new``.

    Yesterday is real: the source had ``total - new`` results and their manifest (commit
    C0); yesterday's ``benchsync apply`` of C0 brought its ``new`` results to a website
    that had ``total - 2 * new``, and that pull request was merged. Today the source's
    HEAD has ``new`` more results and a manifest written from C0's (its memory).
    """
    note(f"building yesterday's and today's repositories at {total:,}")
    bench = top / f"apply-bench-{total}"
    site = top / f"apply-site-{total}"
    all_runs = samples.runs(total)
    benchmark_repo(bench, total - new)
    with_manifest(bench, benchsync, total - new)
    yesterday = git(bench, "rev-parse", "HEAD").strip()
    add_results(bench, all_runs[total - new :])
    with_manifest(bench, benchsync, total)
    website_repo(site, bench, all_runs[: total - 2 * new])
    done = apply_json(benchsync, site, "--source", str(bench), "--ref", yesterday)
    if len(done["new"]) != new:  # type: ignore[arg-type]
        raise SystemExit(f"yesterday's apply at {total}: {done}")
    git(site, "checkout", "-q", "-f", "main")
    git(site, "merge", "-q", "--no-ff", "-m", "Merge pull request: sync results", BRANCH)
    git(site, "branch", "-q", "-D", BRANCH)
    shutil.rmtree(site / ".git" / "benchsync", ignore_errors=True)
    pack(bench)
    pack(site)
    return Daily(total, bench, site, git(site, "rev-parse", "HEAD").strip())


def apply_case(day: Daily, benchsync: str, new: int) -> Case:
    return Case(
        f"apply-{day.total}",
        [benchsync, "apply", "--source", str(day.bench), "--json"],
        day.site,
        before=day.reset,
        ok=(0, 1),
        verify=expect_new(new),
    )


def git_floor(day: Daily) -> Case:
    """The two reads of git objects every verifying apply makes, side by side on two CPUs:
    the source tree listed with sizes (each result's size claim) and ``git grep`` of the
    website's results at BASE (who holds an entry_id: the website's bytes decide)."""
    listing = "git ls-tree -r -z -l --full-tree HEAD -- outputs > /dev/null"
    search = "git grep -F -l -e 00000000-0000-4000-8000-000000000000 HEAD -- data/results"
    script = f'(cd "$1" && {listing}) & (cd "$2" && {search} > /dev/null); wait'
    return Case(
        "git-floor",
        ["sh", "-c", script, "floor", str(day.bench), str(day.site)],
        day.site,
        before=day.reset,
        ok=(0, 1),  # grep exits 1: no file holds that id
    )


def expect_outputs(new: int) -> Callable[[str], None]:
    """Checks the action's outputs (the local runner prints them as JSON)."""

    def verify(stdout: str) -> None:
        outputs = json.loads(stdout.splitlines()[-1])
        if (outputs["changed"], outputs["files-new"]) != ("true", str(new)):
            raise SystemExit(f"the action: expected {new} new and a commit; got {outputs}")

    return verify


def action_cases(top: Path, day: Daily, new: int) -> list[Case]:
    """The action's steps as the runner runs them (tests/action_runner.py) in a job's first
    use: the action's folder as downloaded (no ``__pycache__``), an empty runner temp and
    empty pip and uv caches, wheels from the package index (pip's configuration files of
    this machine left out, as a runner has none). ``action``: install, then ``apply``;
    ``install``: the install step alone; ``install-local``: the same from a local folder of
    the locked wheels instead of the index (what a wheel cache would give). ``plain``: the
    way without the action (``python -m venv`` with pip, ``pip install DIR[github]``,
    ``benchsync apply``)."""
    action = copy_action(PROJECT, top / "action" / "benchsync-hooks")
    temp = top / "runner-temp"
    wheels = top / "wheels"
    note("downloading the locked wheels (for install-local)")
    locks = ["-r", str(PROJECT / "constraints.txt"), "-r", str(PROJECT / "constraints-uv.txt")]
    download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes"]
    subprocess.run([*download, "--only-binary", ":all:", "-d", str(wheels), *locks], check=True)
    inputs = [f"source={day.bench}", f"working-directory={day.site.name}"]
    plain_venv = top / "plain-venv"
    venv_python = temp / "benchsync-action" / "bin" / "python"

    def fresh() -> None:
        """The website as yesterday, the action's folder as downloaded, a new job's temp."""
        day.reset()
        for compiled in list(action.rglob("__pycache__")):
            shutil.rmtree(compiled)
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()

    def runner(*extra: str, local: bool = False) -> list[str]:
        where = (
            [
                "PIP_NO_INDEX=1",
                f"PIP_FIND_LINKS={wheels}",
                "UV_OFFLINE=1",
                f"UV_FIND_LINKS={wheels}",
            ]
            if local
            else []
        )
        return [
            *("env", "-u", "PIP_FIND_LINKS", "PIP_CONFIG_FILE=/dev/null"),
            *(f"PIP_CACHE_DIR={temp / 'pip-cache'}", *where),
            *(sys.executable, str(RUNNER), str(action), str(day.site.parent), str(temp)),
            *(BASE_PYTHON, *extra, *inputs, "push=false", "open-pr=false"),
        ]

    def installed_venv(stdout: str) -> None:
        if not venv_python.exists() or json.loads(stdout.splitlines()[-1])["changed"]:
            raise SystemExit(f"the install step: no venv at {venv_python}, or apply ran")

    plain = (
        '"$1" -m venv --clear "$2" && "$2/bin/python" -m pip install -q '
        '--disable-pip-version-check "$3[github]" && "$2/bin/benchsync" apply --source "$4" --json'
    )
    return [
        Case("action", runner(), day.site, before=fresh, verify=expect_outputs(new)),
        Case("install", runner("--skip=benchsync"), day.site, fresh, verify=installed_venv),
        Case(
            "install-local",
            runner("--skip=benchsync", local=True),
            day.site,
            fresh,
            verify=installed_venv,
        ),
        Case(
            "plain",
            ["sh", "-c", plain, "sh", BASE_PYTHON, str(plain_venv), str(action), str(day.bench)],
            day.site,
            before=fresh,
            verify=expect_new(new),
        ),
    ]


# --- the rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    files: int
    tracked: int
    scale: tuple[int, ...]
    new: int
    runs: int


def schema_rows(
    table: Table, top: Path, s: Settings, benchsync: str, groups: set[str], scratch: Path
) -> None:
    """The pre-commit hooks on a benchmark repository with ``s.files`` committed results
    and their committed manifest (the memory of ``layout``); the one-file rows check a
    new result, staged and not yet in the manifest, as a commit adding one result does."""
    cj = shutil.which("check-jsonschema", path=str(BIN)) or "check-jsonschema"
    note(f"building a benchmark repository of {s.files:,} results")
    repo = top / "schema"
    runs = benchmark_repo(repo, s.files)
    with_manifest(repo, benchsync, s.files)
    fresh = samples.runs(s.files + 1)[-1]
    add_results(repo, [fresh])
    pack(repo)
    files = [r.source for r in runs]
    if "schema" in groups:
        got = compare(
            [
                Case("cj", [cj, "--schemafile", str(SCHEMA), *files], repo),
                Case("schema", [benchsync, "schema", *files], repo),
                Case("layout", [benchsync, "layout", *files], repo),
            ],
            s.runs,
            scratch,
        )
        n = f"{s.files:,} files"
        table.row(f"`schema`, {n}", got["schema"], got["cj"], "check-jsonschema", limit=0.2)
        table.row(
            f"`schema` + `layout`, {n}",
            got["schema"] + got["layout"],
            got["cj"],
            "check-jsonschema",
            limit=0.35,
        )
    if "one-file" in groups:
        one = fresh.source
        got = compare(
            [
                Case("cj", [cj, "--schemafile", str(SCHEMA), one], repo),
                Case("schema", [benchsync, "schema", one], repo),
                Case("layout", [benchsync, "layout", one], repo),
            ],
            s.runs,
            scratch,
        )
        where = f"one new file in a repo of {s.files:,}"
        table.row(f"`schema`, {where}", got["schema"], got["cj"], "check-jsonschema", limit=0.4)
        table.row(f"`layout`, {where}", got["layout"], got["cj"], "check-jsonschema", limit=0.8)


def manifest_rows(table: Table, top: Path, s: Settings, benchsync: str, scratch: Path) -> None:
    """``benchsync manifest`` with ``s.tracked`` results whose manifest is in the index,
    after one result changed and was staged (as the pre-commit hook runs it)."""
    note(f"building a benchmark repository of {s.tracked:,} results")
    big = top / "manifest"
    runs = benchmark_repo(big, s.tracked)
    first = with_manifest(big, benchsync, s.tracked)
    pack(big)
    files = [r.source for r in runs]
    changed = runs[len(runs) // 2]
    counter = [0]

    def change_one() -> None:
        """A new version of one result, staged; the index keeps the last manifest written."""
        counter[0] += 1
        (big / changed.source).write_text(
            samples.dumps(samples.result(changed, seed=counter[0])), encoding="utf-8"
        )
        git(big, "add", "--", changed.source, MANIFEST)

    def written(_stdout: str) -> None:
        check_manifest(big, s.tracked)

    listing = big / ".git" / "bench-files"
    listing.write_text("\n".join(files), encoding="utf-8")
    hash_all = (
        "import hashlib,sys\n"
        "for p in open(sys.argv[1]).read().split('\\n'):\n"
        "    hashlib.sha256(open(p,'rb').read()).hexdigest()\n"
    )
    got = compare(
        [
            Case("manifest", [benchsync, "manifest"], big, change_one, (1,), written),
            Case("sha256", [sys.executable, "-c", hash_all, str(listing)], big),
            Case("import-git", [str(Path(benchsync).parent / "python"), "-c", "import git"], big),
        ],
        s.runs,
        scratch,
    )
    table.row(
        f"`manifest`, {s.tracked:,} tracked, 1 changed",
        got["manifest"],
        got["sha256"],
        "one sha256 pass",
        limit=0.8,
    )
    table.row(
        "its floor: Python starts and imports GitPython (`python -c 'import git'`)",
        got["import-git"],
        got["sha256"],
        "one sha256 pass",
    )
    table.info(
        f"`manifest`, {s.tracked:,} tracked, none in the index (first run)",
        f"{ms(first)} ms (one run, during setup)",
    )


def apply_rows(
    table: Table, top: Path, s: Settings, benchsync: str, groups: set[str], scratch: Path
) -> None:
    """Every apply case (and the copy-all sync) interleaved in one comparison."""
    sizes = sorted(set(s.scale)) if "scaling" in groups else []
    if groups & {"apply", "action"} and s.tracked not in sizes:
        sizes = sorted({*sizes, s.tracked})
    days = {total: daily(top, total, s.new, benchsync) for total in sizes}
    cases = [apply_case(day, benchsync, s.new) for day in days.values()]
    if "action" in groups:
        cases += action_cases(top, days[s.tracked], s.new)
    if "apply" in groups:
        day = days[s.tracked]
        cases.append(
            Case("naive", [sys.executable, str(NAIVE), str(day.bench)], day.site, day.reset)
        )
    if "scaling" in groups:
        cases.append(git_floor(days[sizes[-1]]))
    got = compare(cases, s.runs, scratch)
    if "apply" in groups:
        table.row(
            f"`apply`, {s.new} new at {s.tracked:,}",
            got[f"apply-{s.tracked}"],
            got["naive"],
            "copy all + git add + commit",
            limit=0.1,
        )
    if "action" in groups:
        bare = got[f"apply-{s.tracked}"]
        where = f"{s.new} new at {s.tracked:,}"
        table.row(f"action: install + `apply`, {where}", got["action"], bare, "bare `apply`")
        table.row("action's install step alone", got["install"], bare, "bare `apply`")
        table.row(
            "action's install step, wheels from a local folder",
            got["install-local"],
            bare,
            "bare `apply`",
        )
        table.row(
            f"plain venv + pip install + `apply`, {where}", got["plain"], bare, "bare `apply`"
        )
    if "scaling" in groups:
        smallest = sizes[0]
        base = got[f"apply-{smallest}"]
        for total in sizes:
            last = total == sizes[-1]
            table.row(
                f"`apply`, {s.new} new at {total:,}",
                got[f"apply-{total}"],
                base if total != smallest else None,
                f"the {smallest:,} case" if total != smallest else "–",
                limit=3 if last and total != smallest else None,
                rss_limit=150 if last else None,
            )
        table.row(
            f"its floor at {sizes[-1]:,}: git lists the source with sizes while it searches "
            "the website for an entry_id",
            got["git-floor"],
            base,
            f"the {smallest:,} case",
        )


# --- main ----------------------------------------------------------------------------------

FULL = Settings(files=2000, tracked=10000, scale=(1000, 10000, 50000), new=10, runs=5)
QUICK = Settings(files=200, tracked=1000, scale=(200, 1000, 5000), new=10, runs=2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK.files} files, {QUICK.tracked:,} tracked, apply at "
        f"{', '.join(map(str, QUICK.scale))}, {QUICK.runs} runs (targets are for the full sizes)",
    )
    parser.add_argument("--files", type=int, help=f"results for the hook rows ({FULL.files})")
    parser.add_argument(
        "--tracked", type=int, help=f"results for the manifest and apply rows ({FULL.tracked})"
    )
    parser.add_argument(
        "--scale", help="apply sizes, comma-separated (1000,10000,50000; the last vs the first)"
    )
    parser.add_argument("--new", type=int, help=f"new results per apply ({FULL.new})")
    parser.add_argument("--runs", type=int, help=f"timed runs per command ({FULL.runs})")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"measure only these rows (repeat or comma-separate): {', '.join(GROUPS)}",
    )
    parser.add_argument(
        "--install",
        choices=("wheel", "editable"),
        default="wheel",
        help="measure a regular install in a fresh venv, as users and pre-commit have it "
        "(default), or this editable development install",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated repositories (path printed)"
    )
    args = parser.parse_args(argv)
    d = QUICK if args.quick else FULL
    s = Settings(
        files=args.files or d.files,
        tracked=args.tracked or d.tracked,
        scale=tuple(int(x) for x in args.scale.split(",") if x) if args.scale else d.scale,
        new=args.new or d.new,
        runs=args.runs or d.runs,
    )
    groups = set(GROUPS)
    if args.only:
        groups = {g.strip() for value in args.only for g in value.split(",") if g.strip()}
        unknown = groups - set(GROUPS)
        if unknown:
            parser.error(f"--only: unknown {', '.join(sorted(unknown))}; use {', '.join(GROUPS)}")

    began = time.perf_counter()
    load = os.getloadavg()[0]
    measured = tree_state()
    top = Path(tempfile.mkdtemp(prefix="benchsync-bench-"))
    scratch = top / "scratch"
    scratch.mkdir()
    table = Table()
    try:
        if args.install == "wheel":
            note("installing this tree into a fresh venv")
            benchsync = installed(top)
        else:
            benchsync = str(BIN / "benchsync")
        if groups & {"schema", "one-file"}:
            schema_rows(table, top, s, benchsync, groups, scratch)
        if "manifest" in groups:
            manifest_rows(table, top, s, benchsync, scratch)
        if groups & {"apply", "scaling", "action"}:
            apply_rows(table, top, s, benchsync, groups, scratch)
    finally:
        if args.keep:
            print(f"kept: {top}", file=sys.stderr)
        else:
            shutil.rmtree(top, ignore_errors=True)
    took = time.perf_counter() - began
    print(
        f"benchsync benchmarks, {date.today()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {args.install} install of {measured}, "
        f"median (min–max) of {s.runs} interleaved runs after a warm-up"
        + (" (--quick: sizes below the targets' sizes)" if args.quick else "")
    )
    print()
    print("| work | us | alternative | ratio | target |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(table.lines))
    print()
    print(
        f"took {took / 60:.1f} min; load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    if table.missed:
        at = " (at --quick sizes: indicative only)" if args.quick else ""
        print(f"missed{at}: " + "; ".join(table.missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
