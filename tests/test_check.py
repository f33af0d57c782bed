"""`benchsync check`: the whole repository for CI, benchmark side and website side."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RUN, BenchRepo, run_cli

from benchsync_hooks import samples

RUN2 = samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "long_input")


def _ready(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.publish(RUN, RUN2)


def test_passes_on_a_clean_repo(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _ready(bench, capsys)
    assert run_cli(capsys, "check") == (0, "2 files checked, 0 problems\n", "")


@pytest.mark.parametrize(
    ("case", "breaks", "rule"),
    [
        ("stale manifest", lambda b: b.add_run(RUN, metrics__ttft_ms=9.0), "manifest-stale"),
        ("broken file", lambda b: b.write(RUN.source, b'{"entry_id": 1,}'), "json-syntax"),
        (
            "stray",
            lambda b: b.write(
                "outputs/gpt2_short/short_input_leaderboard.json", samples.result(RUN)
            ),
            "layout-shape",
        ),
        (
            "missing manifest",
            lambda b: (b.root / "outputs/sync-manifest.json").unlink(),
            "manifest-stale",
        ),
    ],
)
def test_fails_then_passes_after_fix(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    case: str,
    breaks: object,
    rule: str,
) -> None:
    _ready(bench, capsys)
    assert callable(breaks)
    breaks(bench)
    bench.stage()
    code, out, _ = run_cli(capsys, "check")
    assert code == 1, case
    assert f" {rule} " in out
    assert re.fullmatch(r"[0-9]+ files? checked, [1-9][0-9]* problems?", out.splitlines()[-1])
    bench.git("reset", "-q", "--hard", "HEAD")
    bench.git("clean", "-qfd")
    assert run_cli(capsys, "check")[0] == 0


def test_github_format_and_step_summary(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _ready(bench, capsys)
    bench.add_run(RUN, metrics__error_rate=4)
    bench.stage()
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_cli(capsys, "check", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert any(
        line.startswith(f"::error file={RUN.source},line=") and "title=schema-maximum::" in line
        for line in lines
    )
    assert any(
        line.startswith("::error file=outputs/sync-manifest.json,title=manifest-stale::")
        for line in lines
    )
    text = summary.read_text("utf-8")
    assert "| `schema-maximum` | 1 |" in text
    assert "2 files checked, 2 problems" in text


def test_json_format(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _ready(bench, capsys)
    code, out, _ = run_cli(capsys, "check", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"ok": True, "problems": [], "files": 2}


def _website(bench: BenchRepo) -> None:
    for run in (RUN, RUN2):
        bench.write(run.target, samples.result(run))


def test_website_passes(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _website(bench)
    assert run_cli(capsys, "check", "--website") == (0, "2 files checked, 0 problems\n", "")


@pytest.mark.parametrize(
    ("rel", "content", "rule"),
    [
        (
            "data/results/long_input_leaderboard.json/_long_input_leaderboard.json",
            None,
            "website-layout",
        ),
        ("data/results/cpu/gpt2/short_input_leaderboard.json", None, "website-layout"),
        (
            "data/results/cpu/gpt2/short_20260128_009_short_input_leaderboard.json",
            b"{",
            "json-syntax",
        ),
        (
            "data/results/cpu/gpt2/short_20260128_009_short_input_leaderboard.json",
            b'{"a": 1}',
            "schema-required",
        ),
    ],
)
def test_website_problems(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], rel: str, content: bytes | None, rule: str
) -> None:
    _website(bench)
    bench.write(rel, content if content is not None else samples.dumps(samples.result(RUN2)))
    code, out, _ = run_cli(capsys, "check", "--website")
    assert code == 1
    line = next(line for line in out.splitlines() if f" {rule} " in line)
    assert line.startswith(rel)
    if rule == "website-layout":  # the line says what to do
        assert line.endswith(
            "apply never writes this path: move the file to "
            "<backend>/<model>/<run_id>_<name>_leaderboard.json or delete it"
        )


def test_website_duplicate_entry_id(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _website(bench)
    copy = "data/results/cpu/gpt2/short_20260128_002_short_input_leaderboard.json"
    bench.write(copy, samples.result(RUN))
    code, out, _ = run_cli(capsys, "check", "--website")
    assert code == 1
    lines = [line for line in out.splitlines() if " entry-id-unique " in line]
    assert sorted(line.split(":")[0] for line in lines) == sorted([copy, RUN.target])
    assert all(
        line.endswith(
            "keep one copy of each result: delete the other file (or give one a new entry_id)"
        )
        for line in lines
    )


def test_benchmark_check_in_the_website_says_so(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _website(bench)
    bench.stage()
    code, out, err = run_cli(capsys, "check")
    assert (code, out) == (2, "")
    assert "this looks like the website repository; run 'benchsync check --website'" in err


def test_website_without_data_results(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "check", "--website")
    assert code == 2 and out == ""
    assert "data/results/ does not exist" in err


@pytest.mark.parametrize(
    ("key", "value", "kept"),
    [
        ("entry_id", "00000000-0000-4000-8000-000000000077", True),
        ("sha256", "0" * 64, True),
        ("size", 3, True),
        ("target_blob", "0" * 40, True),
        ("model", "gpt-2", False),  # (not the path's model: no entry the hooks keep)
    ],
)
def test_check_is_cold_a_hand_edited_manifest_is_stale(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], key: str, value: object, kept: bool
) -> None:
    """The hooks reuse entries of the staged manifest whose blob ids still match; CI's
    check reads every blob and compares the manifest byte for byte, so an edit by hand
    that kept the blob ids is caught there, and named with the command that undoes it."""
    _ready(bench, capsys)
    doc = bench.manifest()
    doc["files"][0][key] = value
    bench.write("outputs/sync-manifest.json", json.dumps(doc, indent=2) + "\n")
    bench.stage()
    bench.commit("edited by hand")
    code, out, _ = run_cli(capsys, "check")
    assert code == 1
    fix = (
        " and holds claims that are not true of its files (edited by hand?): run 'benchsync "
        "manifest --rebuild' (it reads every result again) and commit it"
        if kept
        else ": run 'benchsync manifest' (or pre-commit) and commit it"
    )
    assert (
        out.splitlines()[0]
        == f"outputs/sync-manifest.json: manifest-stale the manifest is stale{fix}"
    )
    assert out.splitlines()[-1] == "2 files checked, 1 problem"
    # The fix named works; the plain regeneration keeps an entry whose blob is unchanged.
    assert run_cli(capsys, "manifest", "--check")[0] == (0 if kept else 1)
    code, out, _ = run_cli(capsys, "manifest", "--check", "--rebuild")
    assert code == 1 and "manifest is stale: run 'benchsync manifest --rebuild'" in out
    assert run_cli(capsys, "manifest", "--rebuild" if kept else "--format=text")[0] == 1
    bench.stage()
    bench.commit("regenerated")
    assert run_cli(capsys, "check")[0] == 0
    assert run_cli(capsys, "manifest")[0] == 0


_FIX = "run 'benchsync manifest' (or pre-commit) and commit it"
_PUT_BACK = "run 'benchsync manifest' to put it back (nothing to commit)"


@pytest.mark.parametrize(
    ("breaks", "what"),
    [
        (lambda b: (b.root / "outputs/sync-manifest.json").unlink(), "the manifest is missing"),
        (lambda b: b.add_run(RUN, metrics__ttft_ms=9.0), "the manifest is stale"),
        (
            lambda b: (
                b.add_run(RUN, metrics__ttft_ms=9.0),
                b.stage(RUN.source),
                run_cli_quiet(b, "manifest"),
            ),
            "the manifest in the index is stale",
        ),
        (
            lambda b: b.write("outputs/sync-manifest.json", "a rewrite a stopped commit left\n"),
            "the manifest in the work tree is not the one the index holds, which is current",
        ),
    ],
)
def test_a_stale_manifest_reads_as_a_sentence(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    breaks: Callable[[BenchRepo], object],
    what: str,
) -> None:
    _ready(bench, capsys)
    breaks(bench)
    bench.stage(RUN.source)
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "check")
    assert code == 1
    fix = _FIX if "work tree" not in what else _PUT_BACK
    assert f"outputs/sync-manifest.json: manifest-stale {what}: {fix}\n" in out
    if fix == _PUT_BACK:  # (and it is so)
        assert run_cli(capsys, "manifest")[0] == 1
        assert bench.git("status", "--porcelain") == ""
        assert run_cli(capsys, "check")[0] == 0


def run_cli_quiet(bench: BenchRepo, *argv: str) -> None:
    """Run a command in ``bench``, its output dropped."""
    import contextlib
    import io

    from benchsync_hooks.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(list(argv))


def test_a_result_in_a_merge_conflict_is_named_not_dropped_quietly(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run by hand in the middle of a merge (pre-commit itself refuses such a commit)."""
    _ready(bench, capsys)
    bench.git("checkout", "-q", "-b", "other")
    bench.add_run(RUN, metrics__ttft_ms=1.0)
    bench.stage()
    bench.commit("one side")
    bench.git("checkout", "-q", "main")
    bench.add_run(RUN, metrics__ttft_ms=2.0)
    bench.stage()
    bench.commit("the other side")
    bench.git("merge", "-q", "other", check=False)  # (it stops on the conflict)
    assert RUN.source in bench.git("diff", "--name-only", "--diff-filter=U")
    code, out, _ = run_cli(capsys, "check")
    assert code == 1
    said = (
        f"{RUN.source}: merge-conflict is unmerged in the index (a merge conflict): resolve "
        "it, then git add it\n"
    )
    assert said in out
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert (
        f"{RUN.source}: manifest-left-out is published (HEAD's manifest lists it) but now "
        "fails merge-conflict, so it would leave the manifest"
    ) in out
