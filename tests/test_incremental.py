"""The incremental apply plan equals the full one, whatever happened since the last apply."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, Pair, init_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchsync_hooks import gitrepo, samples
from benchsync_hooks.cli import main
from benchsync_hooks.config import load_config
from benchsync_hooks.errors import IntegrityError
from benchsync_hooks.sync import prbody, snapshot
from benchsync_hooks.sync.plan import Plan, build_plan
from benchsync_hooks.sync.source import open_source

#: Runs over several days and months (the PR body compares with the latest earlier run).
DAYS = ("20260115", "20260101", "20251230", "20260203", "20260115", "20260102")
POOL = [
    dataclasses.replace(r, day=DAYS[k // 3 % len(DAYS)]) for k, r in enumerate(samples.runs(60))
]
#: Operations after which the snapshot must answer (no full plan needed).
ORDINARY = {"add", "modify", "delete", "merge", "edit", "remove", "unrelated", "nothing"}


def plan_now(pair: Pair) -> Plan:
    website = gitrepo.open_repo(pair.site)
    config = load_config(website.root)
    source = open_source(str(pair.bench.root), None, website)
    base_commit = gitrepo.resolve_commit(website, "main")
    return build_plan(source, website, base="main", base_commit=base_commit, config=config)


def summary(pair: Pair, plan: Plan) -> dict[str, Any]:
    """Everything an apply does with a plan: what it writes, reports and puts in the PR."""
    website = gitrepo.open_repo(pair.site)
    config = load_config(website.root)
    out: dict[str, Any] = {
        "integrity": sorted(p.text() for p in plan.integrity),
        "new": [i.target for i in plan.new],
        "updated": [i.target for i in plan.updated],
        "unchanged": plan.unchanged,
        "kept": plan.kept,
        "rejected": sorted((r.source, r.rule, r.message) for r in plan.rejected),
        "data": {i.target: i.data for i in plan.writes},
    }
    if not plan.integrity:
        out["body"] = prbody.build(plan, website, config).body
    return out


def state_file(pair: Pair) -> Path | None:
    found = sorted((pair.site / ".git/benchsync").glob("plan-v1-*"))
    return found[0] if found else None


def outcome(pair: Pair) -> tuple[Plan | None, dict[str, Any]]:
    """The plan and its summary, or the refusal of a manifest that is not one."""
    try:
        plan = plan_now(pair)
    except IntegrityError as exc:
        return None, {"refused": str(exc)}
    return plan, summary(pair, plan)


def both_ways(pair: Pair) -> tuple[Plan | None, dict[str, Any], dict[str, Any]]:
    """The plan from the snapshot (when there is one) and from scratch, and both snapshots
    they leave, which must be the same too."""
    plan, quick = outcome(pair)
    kept = state_file(pair)
    aside = pair.site.parent / "aside"
    if kept is not None:
        shutil.move(str(kept), str(aside))
    full = outcome(pair)[1]
    fresh = state_file(pair)
    if kept is not None and fresh is not None:
        key = fresh.read_bytes().partition(b"\n")[0].split(b" ")[1].decode()
        assert snapshot.load(aside, key) == snapshot.load(fresh, key)
    if kept is not None:
        shutil.move(str(aside), str(kept))
    return plan, quick, full


def differences(quick: dict[str, Any], full: dict[str, Any]) -> str:
    """The keys that differ, bodies as a line diff: what a failure needs to show."""
    import difflib

    lines = []
    for key in sorted(quick.keys() | full.keys()):
        a, b = quick.get(key), full.get(key)
        if a == b:
            continue
        if isinstance(a, str) and isinstance(b, str):
            lines += difflib.unified_diff(a.splitlines(), b.splitlines(), key, key, lineterm="")
        else:
            lines.append(f"{key}: {a!r} != {b!r}")
    return "\n".join(lines)


def apply_and_merge(pair: Pair) -> None:
    """Run apply for real, then merge its branch the way a reviewer would."""
    assert main(["apply", "--source", str(pair.bench.root)]) in (0, 1)
    pair.capsys.readouterr()
    pair.site_git("checkout", "-q", "-f", "main")
    if pair.site_git("branch", "--list", BRANCH).strip():
        pair.site_git("merge", "-q", "--ff-only", BRANCH)
        pair.site_git("branch", "-q", "-D", BRANCH)


def publish_bench(pair: Pair) -> None:
    """Stage everything, regenerate the manifest (as the hook does), commit."""
    pair.bench.stage()
    cwd = Path.cwd()
    os.chdir(pair.bench.root)
    try:
        assert main(["manifest"]) in (0, 1)
    finally:
        os.chdir(cwd)
        pair.capsys.readouterr()
    pair.bench.stage()
    pair.bench.git("commit", "-q", "--no-verify", "--allow-empty", "-m", "results")


def do(pair: Pair, op: str, n: int, live: list[samples.Run]) -> None:
    bench, run = pair.bench, POOL[n % len(POOL)]
    old = live[n % len(live)] if live else run
    if op == "add":
        waiting = [r for r in POOL if r not in live]
        for extra in {waiting[(n + k) % len(waiting)] for k in (0, 7)} if waiting else ():
            bench.add_run(extra)
            live.append(extra)
        publish_bench(pair)
    elif op == "modify" and live:
        bench.write(old.source, samples.result(old, seed=n + 1))
        publish_bench(pair)
    elif op == "delete" and live:
        bench.git("rm", "-q", old.source)
        live.remove(old)
        publish_bench(pair)
    elif op == "config" and live:
        bench.write(
            str(Path(old.source).parent / "config.json"),
            samples.run_config(old) | {"backend": "other"},
        )
        publish_bench(pair)
    elif op == "stale" and live:
        bench.write(old.source, samples.result(old, seed=n + 100))
        bench.stage()
        bench.git("commit", "-q", "--no-verify", "--allow-empty", "-m", "no manifest update")
    elif op == "tamper" and live:

        def lie(doc: dict[str, Any]) -> None:
            entry = doc["files"][n % len(doc["files"])]
            entry["size"] += 1

        pair.tamper(lie)
    elif op == "merge":
        apply_and_merge(pair)
    elif op in ("edit", "remove") and live:
        target = pair.site / old.target
        if target.exists():
            if op == "edit":
                target.write_text(samples.dumps(samples.result(old, seed=n + 50)))
            else:
                target.unlink()
            pair.site_git("add", "-A")
            pair.site_git("commit", "-q", "--allow-empty", "-m", op)
    elif op == "unrelated":
        note = pair.site / f"data/results/{old.backend}/notes-{n}.md"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text("kept\n")
        pair.site_git("add", "-A")
        pair.site_git("commit", "-q", "--allow-empty", "-m", "note")
    elif op == "case" and live:
        variant = pair.site / old.target.replace(f"/{old.model}/", f"/{old.model.upper()}/")
        variant.parent.mkdir(parents=True, exist_ok=True)
        variant.write_text(samples.dumps(samples.result(old)))
        pair.site_git("add", "-A")
        pair.site_git("commit", "-q", "--allow-empty", "-m", "case variant")


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "add",
                "modify",
                "delete",
                "config",
                "stale",
                "tamper",
                "merge",
                "edit",
                "remove",
                "unrelated",
                "case",
                "nothing",
            ]
        ),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=7,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_incremental_plan_equals_the_full_plan(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ops: list[tuple[str, int]],
) -> None:
    pair = Pair(tmp_path_factory.mktemp("inc"), capsys)
    monkeypatch.chdir(pair.site)
    live = list(POOL[:12])
    pair.publish(*live)
    pair.seed_site(*POOL[:6])
    apply_and_merge(pair)  # yesterday: the first sync, from scratch
    assert state_file(pair) is not None
    clean = True  # nothing since the last snapshot that needs a full plan
    hazard = False  # a case variant on the website sends every later plan to the full path
    for op, n in ops:
        do(pair, op, n, live)
        hazard = hazard or op == "case"
        plan, quick, full = both_ways(pair)
        assert quick == full, (op, n, differences(quick, full))
        assert plan is not None  # the manifest hook never writes a manifest that is not one
        if clean and op in ORDINARY and not hazard:
            assert plan.mode == "incremental", (op, n, plan.why)
        clean = not plan.integrity  # a verified plan leaves a fresh snapshot


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda doc: doc["files"][1].update(size=doc["files"][1]["size"] + 1), id="size"
        ),
        pytest.param(lambda doc: doc["files"][2].update(sha256="0" * 64), id="sha256"),
        pytest.param(
            lambda doc: doc["files"][0].update(target="data/results/../../escape_leaderboard.json"),
            id="traversal",
        ),
        pytest.param(lambda doc: doc["files"].append(dict(doc["files"][0])), id="duplicate"),
    ],
)
def test_false_claims_after_a_snapshot_are_still_caught(
    pair: Pair, capsys: pytest.CaptureFixture[str], mutate: Any
) -> None:
    """With yesterday's snapshot present, a lying manifest gets the full plan's verdict:
    the same problem at the same line and column, and nothing written."""
    pair.publish(*POOL[:4])
    apply_and_merge(pair)
    assert state_file(pair) is not None
    pair.publish(*POOL[4:6])
    pair.tamper(mutate)
    before = pair.snapshot()
    plan, quick, full = both_ways(pair)
    assert quick == full
    assert plan is None or plan.integrity
    assert main(["apply", "--source", str(pair.bench.root)]) == 1
    said = capsys.readouterr()
    where = r"outputs/sync-manifest\.json@[0-9a-f]{7}:\d+:\d+: manifest-"
    assert re.search(where, said.out + said.err), said
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_daily_sync_reads_only_what_changed(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    """The second day's plan comes from the snapshot and reads only the new results."""
    pair.publish(*POOL[:20])
    apply_and_merge(pair)
    pair.publish(*POOL[20:23])
    assert main(["apply", "--source", str(pair.bench.root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["planned"] == "incremental"
    assert sorted(report["new"]) == sorted(r.target for r in POOL[20:23])
    assert report["unchanged"] == 20 and report["kept"] == 0


def test_a_broken_snapshot_means_a_full_plan(pair: Pair) -> None:
    pair.publish(*POOL[:5])
    apply_and_merge(pair)
    path = state_file(pair)
    assert path is not None
    data = path.read_bytes()
    broken = [data[: len(data) // 2], b"garbage\n" + data, data.replace(b"plan-v1", b"plan-v0", 1)]
    for k, text in enumerate(broken):
        path.write_bytes(text)
        pair.publish(POOL[5 + k])
        plan, quick, full = both_ways(pair)
        assert plan is not None and plan.mode == "full" and quick == full


def test_snapshot_round_trip(tmp_path: Path) -> None:
    from array import array

    rows = snapshot.Columns(
        ["a", "b"], ["t/a", "t/b"], bytearray(range(40)), array("I", [300, 301]), {1: "-"}, {0: 9}
    )
    made = snapshot.Snapshot("1" * 40, "2" * 40, "3" * 40, 7, rows)
    path = tmp_path / "s"
    snapshot.save(path, "k", made)
    assert snapshot.load(path, "k") == made
    assert snapshot.manifest_of(path, "k") == "2" * 40
    assert rows.blob(1) == bytes(range(20, 40)).hex() and rows.website_of(1) == "-"
    assert rows.website_of(0) == rows.blob(0) and rows.on_website() == 1
    assert snapshot.load(path, "other") is None
    assert snapshot.load(tmp_path / "missing", "k") is None


def test_tree_with_equals_git_write_tree(tmp_path: Path) -> None:
    """Trees built folder by folder get exactly the ids of git's own read-tree/write-tree,
    for names that sort tricky next to a folder (``a.b``, ``a-b``, ``a0`` against ``a/``),
    and for a folder name with a line break (built through a private index instead)."""
    import random
    import subprocess

    from conftest import git

    repo_dir = init_repo(tmp_path / "r")
    rng = random.Random(7)
    names = ["a", "a.b", "a-b", "a0", "A", "b", "data", "data.x", "x y", "ü", "new\nline"]

    def random_path() -> str:
        return "/".join(rng.choice(names) for _ in range(rng.randint(1, 4)))

    files: dict[str, str] = {}
    for _ in range(80):
        path = random_path()
        if not any(
            q == path or q.startswith(path + "/") or path.startswith(q + "/") for q in files
        ):
            files[path] = str(rng.random())
    for path, text in files.items():
        (repo_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (repo_dir / path).write_text(text)
    git(repo_dir, "add", "-A")
    git(repo_dir, "commit", "-q", "-m", "m")
    repo = gitrepo.open_repo(repo_dir)
    head = git(repo_dir, "rev-parse", "HEAD").strip()
    checked = 0
    for _ in range(40):
        changes: dict[str, str] = {}
        for _ in range(rng.randint(1, 6)):
            path = rng.choice(list(files)) if rng.random() < 0.5 else random_path() + "/new"
            clashes = [*files, *changes]
            if any(q.startswith(path + "/") or path.startswith(q + "/") for q in clashes):
                continue
            blob = subprocess.run(
                ["git", "hash-object", "-w", "--stdin"],
                cwd=repo_dir,
                input=str(rng.random()),
                text=True,
                capture_output=True,
                check=True,
            ).stdout.strip()
            changes[path] = blob
        if not changes:
            continue
        env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index")}
        subprocess.run(["git", "read-tree", head], cwd=repo_dir, env=env, check=True)
        info = "".join(f"100644 {blob}\t{path}\0" for path, blob in changes.items())
        subprocess.run(
            ["git", "update-index", "-z", "--index-info"],
            cwd=repo_dir,
            env=env,
            input=info,
            text=True,
            check=True,
        )
        expected = subprocess.run(
            ["git", "write-tree"], cwd=repo_dir, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert gitrepo.tree_with(repo, head, changes) == expected, changes
        checked += 1
    assert checked > 20
    git(repo_dir, "fsck", "--strict")


@pytest.mark.parametrize(
    ("earlier", "today", "expected"),
    [
        (["20260203_001"], "20260203_002", "20260203_001"),  # the same day
        (["20260101_001", "20260115_004"], "20260203_001", "20260115_004"),  # an earlier month
        (["20260201_003", "20260115_009"], "20260203_001", "20260201_003"),  # the same month
        (["20260301_001"], "20260203_001", None),  # only later runs: a first run
    ],
)
def test_pr_body_compares_with_the_latest_earlier_run(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    earlier: list[str],
    today: str,
    expected: str | None,
) -> None:
    def run(stamp: str) -> samples.Run:
        day, seq = stamp.split("_")
        return samples.Run("cpu", "gpt2", "short", day, int(seq), "short_input")

    pair.publish(*map(run, earlier))
    apply_and_merge(pair)
    pair.publish(run(today))
    assert main(["apply", "--source", str(pair.bench.root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["planned"] == "incremental"
    line = next(x for x in report["pr"]["body"].splitlines() if f"short_{today}" in x)
    if expected is None:
        assert line.endswith("| first run |")
    else:
        assert f"(vs short_{expected})" in line


def test_a_url_source_is_planned_incrementally(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A URL source is fetched shallowly into the website's cache; yesterday's commit stays
    there, so the next day's plan diffs the two commits like a local source."""
    from conftest import git

    pair.publish(*POOL[:6])
    bare = tmp_path / "bench.git"
    git(tmp_path, "clone", "-q", "--bare", str(pair.bench.root), str(bare))
    assert main(["apply", "--source", bare.as_uri()]) == 0
    capsys.readouterr()
    pair.site_git("checkout", "-q", "-f", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.site_git("branch", "-q", "-D", BRANCH)
    pair.publish(*POOL[6:8])
    git(pair.bench.root, "push", "-q", str(bare), "main")
    assert main(["apply", "--source", bare.as_uri(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["planned"] == "incremental", report["planned_because"]
    assert sorted(report["new"]) == sorted(r.target for r in POOL[6:8])


def test_each_write_gets_its_own_latest_earlier_run(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two results of one workload arrive for different days: a file found for one of them
    (the same day as B) is not the answer for the other (A's latest earlier run is later)."""

    def run(stamp: str) -> samples.Run:
        day, seq = stamp.split("_")
        return samples.Run("cpu", "gpt2", "short", day, int(seq), "short_input")

    pair.publish(*map(run, ["20260101_001", "20260115_001", "20260201_001"]))
    apply_and_merge(pair)
    pair.publish(run("20260203_001"), run("20260115_005"))
    plan, quick, full = both_ways(pair)
    assert plan is not None and plan.mode == "incremental"
    assert quick == full, differences(quick, full)
    body = quick["body"]
    assert "| short_20260203_001 |" in body and "(vs short_20260201_001)" in body
    assert "(vs short_20260115_001)" in body
