"""Day after day: every apply starts from git alone and sees only what changed since BASE."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, BenchRepo, Pair, git, init_repo, new_site, run_cli, seed_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchsync_hooks import samples
from benchsync_hooks.cli import main

#: Runs over several days and months (the PR body compares with the latest earlier run).
DAYS = ("20260115", "20260101", "20251230", "20260203", "20260115", "20260102")
POOL = [
    dataclasses.replace(r, day=DAYS[k // 3 % len(DAYS)]) for k, r in enumerate(samples.runs(60))
]
#: What apply may leave under .git/benchsync/: nothing there is read back.
ALLOWED_STATE = {"apply.lock", "tmp", "pr-body.md"}


def apply_and_merge(pair: Pair, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    """Run apply for real, then merge its branch the way a reviewer would."""
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), *extra)
    assert code == 0, err
    pair.site_git("checkout", "-q", "-f", "main")
    if pair.site_git("branch", "--list", BRANCH).strip():
        pair.site_git("merge", "-q", "--ff-only", BRANCH)
        pair.site_git("branch", "-q", "-D", BRANCH)


def apply_json(pair: Pair, capsys: pytest.CaptureFixture[str], source: str = "") -> dict[str, Any]:
    code, out, err = run_cli(
        capsys, "apply", "--source", source or str(pair.bench.root), "--json", "--dry-run"
    )
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    assert "planned" not in report and "planned_because" not in report
    return report


def state_names(pair: Pair) -> set[str]:
    folder = pair.site / ".git/benchsync"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_daily_sync_sees_only_what_changed(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*POOL[:20])
    apply_and_merge(pair, capsys)
    assert state_names(pair) <= ALLOWED_STATE
    pair.publish(*POOL[20:23])
    report = apply_json(pair, capsys)
    assert sorted(report["new"]) == sorted(r.target for r in POOL[20:23])
    assert (report["updated"], report["unchanged"], report["kept"]) == ([], 20, 0)
    changed = POOL[3]
    pair.publish(changed, seed=9)
    report = apply_json(pair, capsys)
    assert report["updated"] == [changed.target]
    assert report["unchanged"] == 19
    pair.bench.git("rm", "-q", POOL[4].source)
    pair.publish()  # the manifest no longer lists it; the website keeps it
    report = apply_json(pair, capsys)
    assert report["kept"] == 1 and report["unchanged"] == 18
    assert (pair.site / POOL[4].target).is_file()


def test_a_removed_state_folder_changes_nothing(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Yesterday's apply leaves nothing that today's needs: the same report without it."""
    import shutil

    pair.publish(*POOL[:8])
    apply_and_merge(pair, capsys)
    pair.publish(*POOL[8:10])
    with_folder = apply_json(pair, capsys)
    shutil.rmtree(pair.site / ".git/benchsync")
    assert apply_json(pair, capsys) == with_folder


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda doc, _new: doc["files"][1].update(size=doc["files"][1]["size"] + 1),
            id="size",
        ),
        pytest.param(lambda doc, new: new(doc).update(size=new(doc)["size"] + 1), id="new size"),
        pytest.param(lambda doc, new: new(doc).update(sha256="0" * 64), id="sha256"),
        pytest.param(lambda doc, new: new(doc).update(target_blob="0" * 40), id="target_blob"),
        pytest.param(
            lambda doc, _new: doc["files"][0].update(
                target="data/results/../../escape_leaderboard.json"
            ),
            id="traversal",
        ),
        pytest.param(lambda doc, _new: doc["files"].append(dict(doc["files"][0])), id="duplicate"),
    ],
)
def test_false_claims_after_an_earlier_sync_are_caught(
    pair: Pair, capsys: pytest.CaptureFixture[str], mutate: Any
) -> None:
    """A lying manifest after an earlier sync: the problem at its line and column, and
    nothing written (sha256 and target_blob are claims about what is written, so the lie
    is put on an entry that is new today)."""
    pair.publish(*POOL[:4])
    apply_and_merge(pair, capsys)
    pair.publish(*POOL[4:6])

    def new(doc: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = next(f for f in doc["files"] if f["source"] == POOL[5].source)
        return entry

    pair.tamper(lambda doc: mutate(doc, new))
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    where = r"outputs/sync-manifest\.json@[0-9a-f]{7}:\d+:\d+: manifest-"
    assert re.search(where, out + err), (out, err)
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def _run(stamp: str) -> samples.Run:
    day, seq = stamp.split("_")
    return samples.Run("cpu", "gpt2", "short", day, int(seq), "short_input")


@pytest.mark.parametrize(
    ("earlier", "today", "expected"),
    [
        (["20260203_001"], "20260203_002", "20260203_001"),  # the same day
        (["20260101_001", "20260115_004"], "20260203_001", "20260115_004"),  # an earlier month
        (["20260201_003", "20260115_009"], "20260203_001", "20260201_003"),  # the same month
        (["20260301_001"], "20260203_001", None),  # only later runs: none to compare with
    ],
)
def test_pr_body_compares_with_the_latest_earlier_run(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    earlier: list[str],
    today: str,
    expected: str | None,
) -> None:
    pair.publish(*map(_run, earlier))
    apply_and_merge(pair, capsys)
    pair.publish(_run(today))
    report = apply_json(pair, capsys)
    rows = report["pr"]["body"].splitlines()
    line = next(x for x in rows if x.startswith("| new |") and f"short_{today}" in x)
    if expected is None:
        assert line.endswith("| no earlier run of this configuration on the website |")
    else:
        assert f"(vs short_{expected})" in line


def test_each_write_gets_its_own_latest_earlier_run(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two results of one workload arrive for different days: a file found for one of them
    (the same day as B) is not the answer for the other (A's latest earlier run is later)."""
    pair.publish(*map(_run, ["20260101_001", "20260115_001", "20260201_001"]))
    apply_and_merge(pair, capsys)
    pair.publish(_run("20260203_001"), _run("20260115_005"))
    body = apply_json(pair, capsys)["pr"]["body"]
    rows = {x.split(" | ")[3]: x for x in body.splitlines() if x.startswith("| new |")}
    assert "(vs short_20260201_001)" in rows["short_20260203_001"]
    assert "(vs short_20260115_001)" in rows["short_20260115_005"]


def test_only_the_same_configuration_is_compared(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """The latest earlier run on other hardware is skipped for one on the same hardware."""
    pair.publish(_run("20260101_001"))
    pair.publish(_run("20260110_001"), hardware__chip_count=4)
    apply_and_merge(pair, capsys)
    pair.publish(_run("20260120_001"))
    body = apply_json(pair, capsys)["pr"]["body"]
    line = next(x for x in body.splitlines() if x.startswith("| new | cpu | gpt2 | short_20260120"))
    assert "(vs short_20260101_001)" in line


def test_a_url_source_day_after_day(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A URL source is fetched (shallow) anew each day, into a temporary repository removed
    after the run; the next day's plan is again a comparison of blob ids against BASE."""
    pair.publish(*POOL[:6])
    bare = tmp_path / "bench.git"
    git(tmp_path, "clone", "-q", "--bare", str(pair.bench.root), str(bare))
    code, _out, err = run_cli(capsys, "apply", "--source", bare.as_uri())
    assert code == 0, err
    pair.site_git("checkout", "-q", "-f", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.site_git("branch", "-q", "-D", BRANCH)
    assert state_names(pair) <= ALLOWED_STATE
    pair.publish(*POOL[6:8])
    git(pair.bench.root, "push", "-q", str(bare), "main")
    report = apply_json(pair, capsys, bare.as_uri())
    assert sorted(report["new"]) == sorted(r.target for r in POOL[6:8])
    assert report["unchanged"] == 6
    assert report["source"]["commit"] == pair.bench.git("rev-parse", "HEAD").strip()
    assert state_names(pair) <= ALLOWED_STATE  # nothing fetched is kept


def _site_files(pair: Pair) -> dict[str, bytes]:
    """The website's files under data/results/ at main (as git has them)."""
    listing = pair.site_git("ls-tree", "-r", "-z", "--name-only", "main", "--", "data/results")
    return {p: pair.site_git("show", f"main:{p}").encode() for p in listing.split("\0") if p}


def _model(pair: Pair) -> dict[str, Any]:
    """What an apply must report, computed from the committed manifest and the website."""
    manifest = json.loads(pair.bench.git("show", "HEAD:outputs/sync-manifest.json"))
    site = _site_files(pair)
    new, updated, unchanged = [], [], 0
    for entry in manifest["files"]:
        data = pair.bench.git("show", f"HEAD:{entry['source']}").encode()
        held = site.get(entry["target"])
        if held is None:
            new.append(entry["target"])
        elif json.loads(held) == json.loads(data):
            unchanged += 1
        else:
            updated.append(entry["target"])
    wanted = {e["target"] for e in manifest["files"]}
    kept = len([p for p in site if p not in wanted])
    return {"new": sorted(new), "updated": sorted(updated), "unchanged": unchanged, "kept": kept}


def _publish_changes(pair: Pair) -> None:
    """Stage what changed, regenerate the manifest and commit (also when nothing did)."""
    import os

    pair.bench.stage()
    cwd = Path.cwd()
    os.chdir(pair.bench.root)
    try:
        assert run_cli(pair.capsys, "manifest")[0] in (0, 1)
    finally:
        os.chdir(cwd)
    pair.bench.stage()
    pair.bench.git("commit", "-q", "--no-verify", "--allow-empty", "-m", "changes")


@pytest.fixture(scope="module")
def first_sync(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every example of the model test starts, made once and copied: POOL[:8]
    published, POOL[:3] already on the website, then a first apply, merged."""
    folder = tmp_path_factory.mktemp("first-sync")
    bench = BenchRepo(init_repo(folder / "bench"))
    bench.publish(*POOL[:8])
    site = new_site(folder / "site")
    seed_site(site, *POOL[:3])
    err = io.StringIO()
    cwd = Path.cwd()
    os.chdir(site)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["apply", "--source", str(bench.root)])
    finally:
        os.chdir(cwd)
    assert code == 0, err.getvalue()
    git(site, "checkout", "-q", "-f", "main")
    git(site, "merge", "-q", "--ff-only", BRANCH)
    git(site, "branch", "-q", "-D", BRANCH)
    return folder


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["add", "modify", "delete", "config", "merge", "edit", "reformat", "remove", "note"]
        ),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow(10)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_every_plan_matches_a_model_of_the_two_repositories(
    first_sync: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ops: list[tuple[str, int]],
) -> None:
    """Whatever happened on either side since the last sync, the plan is the comparison
    of the manifest's results with the website's files at BASE, by JSON value."""
    folder = tmp_path_factory.mktemp("daily")
    shutil.copytree(first_sync, folder, symlinks=True, dirs_exist_ok=True)
    pair = Pair.of(folder / "bench", folder / "site", capsys)
    monkeypatch.chdir(pair.site)
    live = list(POOL[:8])
    for op, n in ops:
        run = POOL[n % len(POOL)]
        old = live[n % len(live)] if live else run
        target = pair.site / old.target
        if op == "add" and run not in live:
            live.append(run)
            pair.publish(run)
        elif op == "modify" and live:
            pair.bench.add_run(old, seed=n + 1)
            _publish_changes(pair)
        elif op == "delete" and live:
            pair.bench.git("rm", "-q", old.source)
            live.remove(old)
            _publish_changes(pair)
        elif op == "config" and live:
            cfg = samples.run_config(old) | {"note": f"rerun {n}"}
            pair.bench.write(str(Path(old.source).parent / "config.json"), cfg)
            _publish_changes(pair)
        elif op == "merge":
            apply_and_merge(pair, capsys)
        elif op in ("edit", "reformat", "remove") and target.exists():
            if op == "edit":
                doc = json.loads(target.read_bytes())
                doc["metrics"]["ttft_ms"] = n / 7
                target.write_text(json.dumps(doc, indent=2) + "\n")
            elif op == "reformat":
                target.write_text(json.dumps(json.loads(target.read_bytes())) + "\n")
            else:
                target.unlink()
            pair.site_git("add", "-A")
            pair.site_git("commit", "-q", "--allow-empty", "-m", op)
        elif op == "note":
            note = pair.site / f"data/results/{old.backend}/notes-{n}.md"
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text("kept\n")
            pair.site_git("add", "-A")
            pair.site_git("commit", "-q", "--allow-empty", "-m", "note")
        report = apply_json(pair, capsys)
        got = {
            k: sorted(report[k]) if isinstance(report[k], list) else report[k]
            for k in ("new", "updated", "unchanged", "kept")
        }
        assert got == _model(pair), (op, n)
        assert report["rejected"] == []
