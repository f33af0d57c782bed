"""`benchsync apply`: real benchmark and website repositories, bare remotes, file:// URLs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    BRANCH,
    RUNS,
    Pair,
    blob_id,
    canonical_bytes,
    git,
    record_fetches,
    run_cli,
)

from benchsync_hooks import samples
from benchsync_hooks.check.jsondoc import JsonDoc


def apply(capsys: pytest.CaptureFixture[str], pair: Pair, *extra: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--json", *extra)
    return code, (json.loads(out) if code == 0 and out.startswith("{") else out), err


def test_first_sync_counts_existing_files_unchanged(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(*RUNS)
    pair.seed_site(RUNS[0])
    old = samples.Run("cpu", "gpt2", "short", "20260101", 1, "short_input")
    pair.seed_site(old)
    code, report, _ = apply(capsys, pair)
    assert code == 0
    assert set(report) == {
        "ok",
        "source",
        "base",
        "new",
        "updated",
        "unchanged",
        "rejected",
        "kept",
        "unlisted",
        "warnings",
        "branch",
        "commit",
        "changed",
        "dry_run",
        "pushed",
        "pr",
        "pr_body_path",
        "verdict",
        "regressions",
        "improvements",
        "first_runs",
    }
    assert report["unchanged"] == 1  # a count: unchanged files are not listed
    assert sorted(report["new"]) == sorted(r.target for r in RUNS[1:])
    assert report["updated"] == [] and report["rejected"] == []
    assert report["kept"] == 1 and report["warnings"] == []
    assert report["changed"] is True and report["branch"] == BRANCH
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH
    assert pair.site_git("status", "--porcelain") == ""
    source = pair.bench.root / RUNS[0].source
    assert pair.site_file(RUNS[0]).read_bytes() == source.read_bytes()  # unchanged, not touched
    for run in RUNS[1:]:  # written in the canonical form
        data = (pair.bench.root / run.source).read_bytes()
        assert pair.site_file(run).read_bytes() == canonical_bytes(data)
    assert pair.site_file(old).is_file()  # history is kept
    message = pair.site_git("log", "-1", "--format=%B")
    sha = pair.bench.git("rev-parse", "HEAD").strip()
    assert message.startswith(f"chore: sync benchmark results from bench@{sha[:7]}")
    assert f"Benchsync-Source: {pair.bench.root}" in message
    assert f"Benchsync-Source-Commit: {sha}" in message
    assert (
        pair.site_git("rev-parse", f"{BRANCH}^").strip()
        == pair.site_git("rev-parse", "main").strip()
    )
    assert report["pr"]["title"] == "[Auto] Sync Benchmark Results"
    assert report["pr"]["labels"] == ["automated", "benchmark-sync", "data-update"]
    assert "**3 new**, **0 updated**, 1 unchanged, 0 rejected" in report["pr"]["body"]
    kept = "1 file already on the website and not in this sync is kept: a sync never deletes"
    assert f"\n{kept} history.\n" in report["pr"]["body"]
    assert Path(report["pr_body_path"]).read_text() == report["pr"]["body"]


def test_rerun_before_merge_makes_no_new_commit(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(*RUNS)
    first = apply(capsys, pair)[1]
    pair.site_git("checkout", "-q", "main")
    second = apply(capsys, pair)[1]
    assert second["changed"] is False and second["commit"] == first["commit"]
    third = apply(capsys, pair)[1]  # now on the sync branch itself
    assert third["changed"] is False and third["commit"] == first["commit"]
    assert pair.site_git("rev-list", "--count", BRANCH).strip() == "2"


def test_nothing_new_after_merge(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    apply(capsys, pair)
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.site_git("branch", "-q", "-D", BRANCH)
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0
    assert out.splitlines()[-1] == "nothing to sync"
    assert pair.site_git("branch", "--list", BRANCH) == ""


@pytest.mark.parametrize("new_results", [True, False], ids=["a sync", "nothing to sync"])
def test_a_base_behind_its_upstream_is_a_warning(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    new_results: bool,
) -> None:
    """Someone merged on the remote and the website was fetched, not pulled: the sync still
    starts from the local base (what the user has), and says so in every output."""
    pair.publish(RUNS[0])
    pair.seed_site(RUNS[0])  # (the same bytes: unchanged)
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(pair.site), str(remote))
    pair.site_git("remote", "add", "origin", str(remote))
    pair.site_git("fetch", "-q", "origin")
    pair.site_git("branch", "-q", "--set-upstream-to=origin/main", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    for n in range(2):
        git(
            other,
            "-c",
            "user.name=o",
            "-c",
            "user.email=o@x",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            f"merged elsewhere {n}",
        )
    git(other, "push", "-q", "origin", "main")
    pair.site_git("fetch", "-q", "origin")
    if new_results:
        pair.publish(RUNS[0], RUNS[1])
    says = (
        "main is 2 commits behind origin/main (as last fetched): the sync starts from the older "
        "main and may bring results origin/main has already; git pull on main first"
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0, out + err
    assert f"\n**Warning:** {says}\n" in summary.read_text()
    assert f"\nwarning: {says}\n" in out
    assert f"\n::warning title=benchsync::{says}\n" in out
    assert ("\n  new      " in out) == new_results and ("nothing to sync" in out) != new_results
    monkeypatch.delenv("GITHUB_ACTIONS")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    code, report, _ = apply(capsys, pair, "--dry-run")
    assert report["warnings"] == [says] and report["base"]["ref"] == "main"
    if not new_results:  # pulled: no warning
        pair.site_git("merge", "-q", "--ff-only", "origin/main")
        assert apply(capsys, pair)[1]["warnings"] == []


def test_updated_result_and_change_in_body(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    earlier = samples.Run("cpu", "gpt2", "short", "20260120", 1, "short_input")
    pair.seed_site(earlier, metrics__throughput_tps=100.0, metrics__ttft_ms=200.0)
    pair.seed_site(RUNS[0])
    pair.publish(RUNS[0], metrics__throughput_tps=103.2, metrics__ttft_ms=190.0)
    code, report, _ = apply(capsys, pair)
    assert code == 0
    assert report["updated"] == [RUNS[0].target] and report["new"] == []
    body = report["pr"]["body"]
    assert "throughput +3.2%, TTFT −5.0% (vs short_20260120_001)" in body
    row = "| updated | cpu | gpt2 | short_20260128_001 | short | short_input | 1× CPU "
    assert row + "| 190.0 | 103.2 |" in body
    kept = "1 file already on the website and not in this sync is kept: a sync never deletes"
    assert f"\n{kept} history.\n" in body


def test_strays_never_travel(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.bench.write(
        "outputs/exp1_gpt2_short/short_input_leaderboard.json", samples.result(RUNS[1])
    )
    pair.bench.write("outputs/long_input_leaderboard.json", samples.result(RUNS[2]))
    pair.publish(RUNS[0])
    code, report, _ = apply(capsys, pair)
    assert code == 0
    assert report["new"] == [RUNS[0].target]
    written = [p for p in pair.snapshot() if p.startswith("data/")]
    assert written == [RUNS[0].target]
    assert report["kept"] == 0
    assert "\nNo website file is removed: a sync never deletes history.\n" in report["pr"]["body"]


def verify_claims(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["files"][0].update(changes)

    return mutate


INTEGRITY: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("tampered hash", verify_claims(sha256="0" * 64), "manifest-hash", "/files/0/sha256"),
    ("lying size", verify_claims(size=999), "manifest-size", "/files/0/size"),
    (
        "target with ../",
        verify_claims(target="data/results/../../.github/workflows/x_leaderboard.json"),
        "manifest-schema",
        "/files/0/target",
    ),
    (
        "target elsewhere",
        verify_claims(
            target="data/results/cpu/gpt2/other_20260128_001_short_input_leaderboard.json"
        ),
        "manifest-target",
        "/files/0/target",
    ),
    ("lying backend", verify_claims(backend="cuda"), "manifest-field", "/files/0/backend"),
    (
        "lying entry_id",
        verify_claims(entry_id="00000000-0000-4000-8000-000000000009"),
        "manifest-field",
        "/files/0/entry_id",
    ),
    (
        "missing source",
        verify_claims(source="outputs/cpu/gpt2/short_20260101_001/short_input_leaderboard.json"),
        "manifest-source",
        "/files/0/source",
    ),
    (
        "one source twice",
        lambda d: d["files"].append(dict(d["files"][0])),
        "manifest-duplicate",
        "/files/4/source",  # the copy is appended after the four results
    ),
    ("lying blob id", verify_claims(blob="0" * 40), "manifest-blob", "/files/0/blob"),
    (
        "blob id of another listed file",
        lambda d: d["files"][0].update(blob=d["files"][1]["blob"]),
        "manifest-blob",
        "/files/0/blob",
    ),
    (
        "lying config.json blob",
        verify_claims(config_blob="0" * 40),
        "manifest-blob",
        "/files/0/config_blob",
    ),
    (
        "config.json hidden",
        verify_claims(config_blob=None),
        "manifest-blob",
        "/files/0/config_blob",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutate", "rule", "pointer"), INTEGRITY, ids=[i[0] for i in INTEGRITY]
)
def test_false_claims_write_nothing(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    mutate: Callable[[dict[str, Any]], None],
    rule: str,
    pointer: str,
) -> None:
    pair.publish(*RUNS)
    pair.tamper(mutate)
    before = pair.snapshot()
    head = pair.site_git("rev-parse", "HEAD")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1, case
    text = out or err.removeprefix("benchsync apply: ")
    first = text.splitlines()[0]
    assert first.startswith("outputs/sync-manifest.json@") and f" {rule} " in first, text
    assert "regenerate" in first or "tampered" in first
    manifest = pair.bench.git("show", "HEAD:outputs/sync-manifest.json")
    line, col = JsonDoc("m", manifest, json.loads(manifest)).position(pointer)
    short = pair.bench.git("rev-parse", "--short=7", "HEAD").strip()
    assert first.startswith(f"outputs/sync-manifest.json@{short}:{line}:{col}: "), (first, pointer)
    if out:
        assert out.splitlines()[-1].endswith("nothing written")
    assert pair.snapshot() == before
    assert pair.site_git("rev-parse", "HEAD") == head
    assert pair.site_git("branch", "--list", BRANCH) == ""


NOT_A_MANIFEST: list[tuple[str, Callable[[dict[str, Any]], None], str, str, str]] = [
    (
        "unknown format",
        lambda d: d.update(format="benchsync-manifest/v9"),
        "manifest-format",
        "/format",
        "use the same benchsync-hooks version on both sides",
    ),
    (
        "format missing",
        lambda d: d.pop("format"),
        "manifest-format",
        "",
        "format is missing (expected one of benchsync-manifest/v1, benchsync-manifest/v2); "
        "regenerate it",
    ),
    ("extra key", lambda d: d.update(extra=1), "manifest-schema", "", "regenerate it"),
    ("rules missing", lambda d: d.pop("rules"), "manifest-schema", "", "regenerate it"),
    (
        "rules not hex",
        lambda d: d.update(rules="XYZ"),
        "manifest-schema",
        "/rules",
        "regenerate it",
    ),
    (
        "v2 entry without a blob id",
        lambda d: d["files"][0].pop("blob"),
        "manifest-schema",
        "/files/0",
        "regenerate it",
    ),
    (
        "v1 entry with v2 fields",
        lambda d: (d.update(format="benchsync-manifest/v1"), d.pop("rules")),
        "manifest-schema",
        "/files/0",
        "regenerate it",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutate", "rule", "pointer", "fix"), NOT_A_MANIFEST, ids=[n[0] for n in NOT_A_MANIFEST]
)
def test_manifest_that_is_not_valid(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    mutate: Callable[[dict[str, Any]], None],
    rule: str,
    pointer: str,
    fix: str,
) -> None:
    """A manifest that is not one (format, schema of its format) is one line, exit 1."""
    pair.publish(*RUNS)
    pair.tamper(mutate)
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (1, ""), case
    assert len(err.splitlines()) == 1, err
    short = pair.bench.git("rev-parse", "--short=7", "HEAD").strip()
    manifest = pair.bench.git("show", "HEAD:outputs/sync-manifest.json")
    line, col = JsonDoc("m", manifest, None).position(pointer)
    where = f"benchsync apply: outputs/sync-manifest.json@{short}:{line}:{col}"
    assert err.startswith(f"{where}: {rule} "), (case, err)
    assert fix in err
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def _as_v1(doc: dict[str, Any]) -> None:
    doc.update(format="benchsync-manifest/v1")
    del doc["rules"]
    for entry in doc["files"]:
        del entry["blob"], entry["config_blob"], entry["target_blob"]


def test_a_v1_manifest_is_still_read(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    """A benchmark repository on the previous version: its claims are verified the same way
    (without the blob ids it does not have), and its results are synced."""
    pair.publish(*RUNS)
    pair.tamper(_as_v1)
    code, report, err = apply(capsys, pair, "--dry-run")
    assert code == 0, err
    assert sorted(report["new"]) == sorted(r.target for r in RUNS)
    pair.tamper(verify_claims(sha256="d" * 64))
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert " manifest-hash claims sha256 dddddddddddd… for " in out
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_no_manifest_is_exit_2(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.bench.add_run(RUNS[0])
    pair.bench.stage()
    pair.bench.commit()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2 and out == ""
    assert "no manifest at" in err and "leaderboard-manifest hook" in err


def test_symlink_on_the_website_side(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    outside = pair.link_in_site("data/results/cpu")
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert "website-symlink data/results/cpu is a symbolic link in the website" in out
    assert list(outside.iterdir()) == []


def _edit_readme(pair: Pair) -> None:
    (pair.site / "README.md").write_text("changed\n")


def _stage_readme(pair: Pair) -> None:
    _edit_readme(pair)
    pair.site_git("add", "README.md")


def _untracked(rel: str) -> Callable[[Pair], None]:
    def make(pair: Pair) -> None:
        (pair.site / rel).parent.mkdir(parents=True, exist_ok=True)
        (pair.site / rel).write_text("mine\n")

    return make


def _edit_tracked_result(pair: Pair) -> None:
    pair.seed_site(samples.Run("cpu", "gpt2", "short", "20260101", 1, "short_input"))
    (
        pair.site / "data/results/cpu/gpt2/short_20260101_001_short_input_leaderboard.json"
    ).write_text("{}\n")


# (case, change in the website, refused with this text or None when the apply goes ahead)
DIRTY: list[tuple[str, Callable[[Pair], None], str | None]] = [
    ("unstaged change elsewhere", _edit_readme, None),
    ("untracked file elsewhere", _untracked("notes/todo.md"), None),
    ("staged change", _stage_readme, "uncommitted changes (M  README.md)"),
    (
        "untracked file under data/results",
        _untracked("data/results/cpu/notes.md"),
        "uncommitted changes (?? data/results/cpu/notes.md)",
    ),
    (
        "unstaged change under data/results",
        _edit_tracked_result,
        "uncommitted changes ( M data/results/cpu/gpt2/short_20260101_001_short_input_",
    ),
]


@pytest.mark.parametrize(("case", "change", "refusal"), DIRTY, ids=[d[0] for d in DIRTY])
def test_dirty_working_tree(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[Pair], None],
    refusal: str | None,
) -> None:
    pair.publish(*RUNS)
    change(pair)
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    if refusal is None:
        assert code == 0, (case, err)
        assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH
        for rel, data in before.items():  # the user's own changes are still there
            assert (pair.site / rel).read_bytes() == data, rel
        return
    assert (code, out) == (2, ""), case
    assert refusal in err and "commit or stash them" in err, err
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_missing_ref(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--ref", "nope")
    assert code == 2
    assert "ref 'nope' does not exist" in err


# (case, what the report file holds or None for no file, what the line says)
BAD_REPORTS: list[tuple[str, bytes | None, str]] = [
    ("no such file", None, "cannot read: No such file or directory; pass the file"),
    ("not UTF-8", b"\xff\xfe", "cannot read: not UTF-8; pass the file"),
    ("not JSON", b"problems", "not the output of 'benchsync check --website --format json'"),
    ("no problems key", b"{}", "not the output of 'benchsync check --website --format json'"),
]


@pytest.mark.parametrize(("case", "content", "says"), BAD_REPORTS, ids=[b[0] for b in BAD_REPORTS])
def test_a_bad_website_report_is_one_line(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    case: str,
    content: bytes | None,
    says: str,
) -> None:
    pair.publish(*RUNS)
    report = tmp_path / "report.json"
    if content is not None:
        report.write_bytes(content)
    before = pair.snapshot()
    code, out, err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), f"--website-report={report}"
    )
    assert (code, out) == (2, ""), case
    [line] = err.splitlines()
    assert f"--website-report {report}: {says}" in line, line
    assert pair.snapshot() == before


def test_file_url_of_a_bare_repository(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair.publish(*RUNS[:2])
    pair.publish(*RUNS[2:])
    bare = tmp_path / "bench.git"
    git(tmp_path, "clone", "-q", "--bare", str(pair.bench.root), str(bare))
    fetches: list[tuple[str, str]] = []
    record_fetches(monkeypatch, fetches)
    code, out, err = run_cli(capsys, "apply", "--source", bare.as_uri(), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["source"]["ref"] == "main"
    assert report["source"]["commit"] == pair.bench.git("rev-parse", "HEAD").strip()
    assert len(report["new"]) == 4
    assert fetches == [("true", "1")]  # shallow: the one commit of the two
    assert sorted(p.name for p in (pair.site / ".git/benchsync").iterdir()) == [
        "apply.lock",
        "pr-body.md",
        "tmp",
    ]  # nothing fetched is kept (tests/test_url_source.py)
    code, out, err = run_cli(capsys, "apply", "--source", bare.as_uri(), "--ref", "nope")
    assert code == 2 and "ref 'nope' does not exist" in err


def test_dry_run_writes_nothing(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    before = pair.snapshot()
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--dry-run")
    assert code == 0
    assert "dry run: nothing written" in out and "## Benchmark results sync" in out
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def _honest_but_invalid(pair: Pair, bad: samples.Run) -> bytes:
    """Commit a result that breaks the schema, listed with true claims (as a manifest
    written by an older or a patched benchsync would list it); its bytes."""
    broken = samples.dumps(samples.result(bad, metrics__error_rate=3)).encode()
    pair.bench.write(bad.source, broken)

    def honest_claim(doc: dict[str, Any]) -> None:
        entry = next(f for f in doc["files"] if f["source"] == bad.source)
        entry.update(
            sha256=hashlib.sha256(broken).hexdigest(),
            size=len(broken),
            blob=blob_id(broken),
            target_blob=blob_id(canonical_bytes(broken)),
        )

    pair.tamper(honest_claim)
    return broken


def test_skip_invalid(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    bad = RUNS[1]
    broken = _honest_but_invalid(pair, bad)
    before = pair.snapshot()
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    line, col = JsonDoc("b", broken.decode(), None).position("/metrics/error_rate")
    assert code == 1
    assert f"{bad.source}:{line}:{col}: schema-maximum 3 is above the maximum 1" in out
    assert "--skip-invalid" in out
    assert pair.snapshot() == before
    code, report, _ = apply(capsys, pair, "--skip-invalid")
    assert code == 0
    [rejected] = report["rejected"]
    assert set(rejected) == {"path", "line", "column", "pointer", "rule", "message"}
    assert (rejected["path"], rejected["line"], rejected["column"], rejected["rule"]) == (
        bad.source,
        line,
        col,
        "schema-maximum",
    )
    assert bad.target not in report["new"] and len(report["new"]) == 3
    assert "### Rejected" in report["pr"]["body"] and bad.source in report["pr"]["body"]
    assert not pair.site_file(bad).exists()


def test_no_commit_only_writes_files(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    code, report, _ = apply(capsys, pair, "--no-commit")
    assert code == 0 and report["commit"] is None and report["changed"] is True
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == "main"
    status = pair.site_git("status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(line[3:] for line in status) == sorted(r.target for r in RUNS)


def test_github_outputs(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair.publish(*RUNS)
    output, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert apply(capsys, pair)[0] == 0
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert values["changed"] == "true"
    assert values["files-new"] == "4" and values["files-updated"] == "0"
    assert values["branch"] == BRANCH
    assert values["commit"] == pair.site_git("rev-parse", BRANCH).strip()
    assert values["pr-title"] == "[Auto] Sync Benchmark Results"
    assert Path(values["pr-body-path"]).is_file()
    assert "## Benchmark results sync" in summary.read_text()


def test_detached_website_needs_base(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    pair.site_git("checkout", "-q", "--detach")
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2 and "detached HEAD; pass --base" in err
    code, report, _ = apply(capsys, pair, "--base", "main")
    assert code == 0 and len(report["new"]) == 4


def test_website_in_a_merge(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    (pair.site / ".git/MERGE_HEAD").write_text(pair.site_git("rev-parse", "HEAD"))
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2 and "in the middle of a merge" in err


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        return


def test_progress_bar_only_on_a_terminal_and_for_many_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    from benchsync_hooks.sync.progress import MIN_FILES, progress_bar

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    show = progress_bar("verifying")
    show(5, MIN_FILES - 1)
    assert terminal.text == ""  # few files: no bar
    for done in range(1, 401):
        show(done, 400)
    assert terminal.text.endswith("verifying [##############################] 400/400\n")
    assert terminal.text.count("\r") <= 31  # redrawn per step, not per file
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    progress_bar("verifying")(400, 400)
    assert pipe.getvalue() == ""  # not a terminal: nothing


# (case, lie about files[0] once it is on the website, rule or None when nothing is read)
UNCHANGED_LIES: list[tuple[str, Callable[[dict[str, Any]], None], str | None]] = [
    ("sha256", verify_claims(sha256="e" * 64), None),
    ("size", verify_claims(size=7), "manifest-size"),
    ("blob id", verify_claims(blob="e" * 40), "manifest-blob"),
    ("config.json blob", verify_claims(config_blob="e" * 40), "manifest-blob"),
    ("backend", verify_claims(backend="cuda"), "manifest-field"),
    (
        "target",
        verify_claims(target="data/results/cpu/gpt2/x_20260128_001_short_input_leaderboard.json"),
        "manifest-target",
    ),
]


@pytest.mark.parametrize(
    ("case", "lie", "rule"), UNCHANGED_LIES, ids=[u[0] for u in UNCHANGED_LIES]
)
def test_lies_about_a_file_already_on_the_website(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    lie: Callable[[dict[str, Any]], None],
    rule: str | None,
) -> None:
    """Every entry's structural claims are checked on every run, also for files the website
    already has; an unchanged file (same blob id as on the website) is never read, so its
    sha256 claim is not what decides: the blob id is, and nothing is written for it."""
    pair.publish(*RUNS)
    assert apply(capsys, pair)[0] == 0
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.site_git("branch", "-q", "-D", BRANCH)
    pair.tamper(lie)
    before = pair.snapshot()
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    if rule is None:
        assert code == 0, case
        assert out.splitlines()[-1] == "nothing to sync"
    else:
        assert code == 1, case
        assert out.startswith("outputs/sync-manifest.json@") and f" {rule} " in out, out
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def _indented(n: int) -> Callable[[bytes], bytes]:
    return lambda data: (json.dumps(json.loads(data), indent=n) + "\n").encode()


# (case, the website's file from the source's bytes, what the apply makes of it)
FORMS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("the source's bytes", lambda data: data, "unchanged"),
    ("the canonical form", canonical_bytes, "unchanged"),
    ("indented by four", _indented(4), "unchanged"),
    (
        "on one line, CRLF",
        lambda data: json.dumps(json.loads(data)).encode() + b"\r\n",
        "unchanged",
    ),
    (
        "another value",
        lambda data: data.replace(b'"error_rate": 0.0', b'"error_rate": 0.5'),
        "updated",
    ),
]


@pytest.mark.parametrize(("case", "form", "status"), FORMS, ids=[f[0] for f in FORMS])
def test_the_same_value_in_another_form_is_unchanged(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    form: Callable[[bytes], bytes],
    status: str,
) -> None:
    """The website receives the canonical form; a website file that holds the same JSON
    value in any form is left as it is."""
    pair.publish(*RUNS)
    data = (pair.bench.root / RUNS[0].source).read_bytes()
    held = form(data)
    assert held != data or status == "unchanged"
    pair.commit_site("held", {RUNS[0].target: held})
    target = pair.site_file(RUNS[0])
    code, report, err = apply(capsys, pair)
    assert code == 0, err
    assert sorted(report["new"]) == sorted(r.target for r in RUNS[1:])
    if status == "unchanged":
        assert (report["updated"], report["unchanged"]) == ([], 1), case
        assert target.read_bytes() == held
    else:
        assert (report["updated"], report["unchanged"]) == ([RUNS[0].target], 0), case
        assert target.read_bytes() == canonical_bytes(data)


def _no_manifest(pair: Pair) -> None:
    pair.bench.git("rm", "-q", "outputs/sync-manifest.json")
    pair.bench.commit("no manifest")


# (case, setup after publishing, exit code, (path prefix, rule) of the first problem or None)
JSON_FAILURES: list[tuple[str, Callable[[Pair], None], int, tuple[str, str] | None]] = [
    (
        "false claim",
        lambda pair: pair.tamper(verify_claims(size=3)),
        1,
        ("outputs/sync-manifest.json@", "manifest-size"),
    ),
    (
        "duplicate entry",
        lambda pair: pair.tamper(lambda d: d["files"].append(dict(d["files"][0]))),
        1,
        ("outputs/sync-manifest.json@", "manifest-duplicate"),
    ),
    (
        "rejected file",
        lambda pair: _honest_but_invalid(pair, RUNS[1]),
        1,
        (RUNS[1].source, "schema-maximum"),
    ),
    ("no manifest", _no_manifest, 2, None),
    ("unknown format", lambda pair: pair.tamper(lambda d: d.update(format="x")), 1, None),
]


@pytest.mark.parametrize(
    ("case", "setup", "code", "first"), JSON_FAILURES, ids=[j[0] for j in JSON_FAILURES]
)
def test_json_output_on_failure_is_one_document(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    setup: Callable[[Pair], None],
    code: int,
    first: tuple[str, str] | None,
) -> None:
    """With --json, stdout is exactly one JSON document also when the apply fails."""
    pair.publish(*RUNS)
    setup(pair)
    got, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--json")
    assert got == code, (case, out, err)
    doc = json.loads(out)
    assert doc["ok"] is False
    if first is None:
        assert doc["exit_code"] == code and doc["problems"] == []
        assert err == f"benchsync apply: {doc['error']}\n"
    else:
        assert doc["problems"][0]["path"].startswith(first[0])
        assert doc["problems"][0]["rule"] == first[1]
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_apply_uses_the_website_schema(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    """What apply writes passes the website's own `benchsync check --website`."""
    pair.publish(*RUNS)
    strict = '{"type": "object", "required": ["benchmark_owner"]}'
    pair.commit_site(
        "a stricter schema", {"strict.json": strict, ".benchsync.toml": 'schema = "strict.json"\n'}
    )
    before = pair.snapshot()
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1, out
    assert f"{RUNS[0].source}:1:1: schema-required missing required key 'benchmark_owner'" in out
    assert pair.snapshot() == before


@pytest.mark.parametrize(
    "argv",
    [
        ["--open-pr", "--repo", "o/site"],
        ["--open-pr", "--repo", "o/site", "--push"],
        ["--open-pr", "--repo", "o/site", "--dry-run"],
    ],
)
def test_open_pr_without_pygithub_says_how_to_install_it(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """The wheel without its [github] extra: one line, before anything is done."""
    import sys

    monkeypatch.setitem(sys.modules, "github", None)  # import github fails
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    pair.publish(*RUNS)
    before, head = pair.snapshot(), pair.site_git("rev-parse", "HEAD")
    code, out, err = run_cli(pair.capsys, "apply", "--source", str(pair.bench.root), *argv)
    message = "--open-pr needs PyGithub: pip install 'benchsync-hooks[github]'"
    assert (code, out, err) == (2, "", f"benchsync apply: {message}\n")
    assert pair.snapshot() == before and pair.site_git("rev-parse", "HEAD") == head
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_publish_without_pygithub_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from benchsync_hooks.config import Config
    from benchsync_hooks.errors import UsageError
    from benchsync_hooks.sync import github
    from benchsync_hooks.sync.prbody import PullRequest

    monkeypatch.setitem(sys.modules, "github", None)
    with pytest.raises(UsageError) as info:
        github.publish(
            api_url="https://api.github.com",
            token="t0ken",
            repo_name="o/site",
            branch=BRANCH,
            base="main",
            pr=PullRequest("t", (), "body"),
            changed=True,
            something=True,
            config=Config(),
        )
    assert info.value.message == "--open-pr needs PyGithub: pip install 'benchsync-hooks[github]'"


@pytest.mark.parametrize(("runs", "line"), [(1, "wrote 1 file"), (2, "wrote 2 files")])
def test_no_commit_counts_the_files_it_wrote(pair: Pair, runs: int, line: str) -> None:
    pair.publish(*RUNS[:runs])
    pair.capsys.readouterr()
    code, out, err = run_cli(pair.capsys, "apply", "--source", str(pair.bench.root), "--no-commit")
    assert (code, err) == (0, "")
    assert f"\n{line} into the working tree\n" in out


@pytest.mark.parametrize("same", [False, True], ids=["configured otherwise", "alike"])
def test_a_rejection_names_settings_the_two_repositories_do_not_share(
    pair: Pair, capsys: pytest.CaptureFixture[str], same: bool
) -> None:
    """A rule the benchmark repository turns off passes its hooks and fails here: the
    refusal says that the two configurations differ, and in what."""
    pair.bench.write(".benchsync.toml", 'disable = ["model-name"]\n')
    if same:
        pair.commit_site("the same rules", {".benchsync.toml": 'disable = ["model-name"]\n'})
    pair.publish(RUNS[0], model__name="GPT-2")
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    hint = (
        "the benchmark repository's configuration sets disable otherwise than this website's, "
        "so what passed its hooks can fail here: align the two"
    )
    if same:
        assert code == 0
        assert hint not in out
    else:
        assert code == 1
        assert f"{RUNS[0].source}:" in out and " model-name " in out
        assert out.endswith(f"(--skip-invalid applies the rest)\n{hint}\n")


def test_an_entry_id_held_by_a_stray_website_copy_says_to_remove_it(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """An old sync left a result where the website keeps none (the real history has
    ``long_input_leaderboard.json/_long_input_leaderboard.json``): the clash names it as a
    stray copy, and removing it is the fix given first."""
    stray = "data/results/long_input_leaderboard.json/_long_input_leaderboard.json"
    pair.commit_site("an old sync's copy", {stray: samples.dumps(samples.result(RUNS[0]))})
    pair.publish(RUNS[0])
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    entry_id = samples.result(RUNS[0])["entry_id"]
    assert (
        f"{RUNS[0].source}: entry-id-unique entry_id {entry_id} is already used by {stray} on "
        f"the website; {stray} is not where the website keeps results (a stray copy?): git rm "
        "it in the website, or give this result a new entry_id"
    ) in out.splitlines()
