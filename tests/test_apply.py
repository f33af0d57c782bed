"""`benchsync apply`: real benchmark and website repositories, bare remotes, file:// URLs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, RUNS, Pair, git, run_cli

from benchsync_hooks import samples
from benchsync_hooks.jsondoc import JsonDoc


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
    assert report["unchanged"] == 1
    assert sorted(report["new"]) == sorted(r.target for r in RUNS[1:])
    assert report["updated"] == [] and report["rejected"] == []
    assert report["kept"] == 1
    assert report["changed"] is True and report["branch"] == BRANCH
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH
    assert pair.site_git("status", "--porcelain") == ""
    for run in RUNS:
        assert pair.site_file(run).read_bytes() == (pair.bench.root / run.source).read_bytes()
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
    assert (
        "| updated | cpu | gpt2 | short_20260128_001 | short_input | 1× CPU | 190.0 | 103.2 |"
        in body
    )


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


def test_manifest_that_is_not_valid(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    pair.tamper(lambda d: d.update(format="benchsync-manifest/v9"))
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert "manifest-schema" in err and "regenerate it" in err


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


def test_dirty_working_tree(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    (pair.site / "README.md").write_text("changed\n")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2 and out == ""
    assert "uncommitted changes ( M README.md)" in err
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_missing_ref(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--ref", "nope")
    assert code == 2
    assert "ref 'nope' does not exist" in err


def test_file_url_of_a_bare_repository(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pair.publish(*RUNS)
    bare = tmp_path / "bench.git"
    git(tmp_path, "clone", "-q", "--bare", str(pair.bench.root), str(bare))
    code, out, err = run_cli(capsys, "apply", "--source", bare.as_uri(), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["source"]["ref"] == "main"
    assert report["source"]["commit"] == pair.bench.git("rev-parse", "HEAD").strip()
    assert len(report["new"]) == 4
    cache = pair.site / ".git/benchsync/sources"
    assert any(cache.iterdir())
    assert git(next(cache.iterdir()), "rev-parse", "--is-shallow-repository").strip() == "true"
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


def test_skip_invalid(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS)
    bad = RUNS[1]
    broken = samples.dumps(samples.result(bad, metrics__error_rate=3)).encode()
    pair.bench.write(bad.source, broken)

    def honest_claim(doc: dict[str, Any]) -> None:
        entry = next(f for f in doc["files"] if f["source"] == bad.source)
        entry.update(sha256=hashlib.sha256(broken).hexdigest(), size=len(broken))

    pair.tamper(honest_claim)
    before = pair.snapshot()
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert f"{bad.source}: schema-maximum" in out and "--skip-invalid" in out
    assert pair.snapshot() == before
    code, report, _ = apply(capsys, pair, "--skip-invalid")
    assert code == 0
    assert [r["source"] for r in report["rejected"]] == [bad.source]
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


def test_lying_hash_on_an_unchanged_file_with_a_warm_cache(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hashes verified once are remembered by blob id, and still hold every claim to them."""
    pair.publish(*RUNS)
    assert apply(capsys, pair)[0] == 0  # verifies and remembers every blob
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)
    pair.tamper(verify_claims(sha256="e" * 64))  # files[0] is already on the website, unchanged
    code, out, _ = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert " manifest-hash claims sha256 eeeeeeeeeeee…" in out
