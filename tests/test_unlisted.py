"""Result files of the source that its manifest leaves out are never synced, and said so:
in the text output, ``--json`` and the pull request body."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, RUNS, Pair, run_cli

LATE = RUNS[1]  # the result the manifest does not name


def _dry_run(pair: Pair, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``apply --json --dry-run`` of the pair's benchmark repository: exit 0, its report."""
    code, out, err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), "--json", "--dry-run"
    )
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


def _past_the_hooks(pair: Pair) -> None:
    """Committed with ``--no-verify``: the manifest was not regenerated."""
    pair.bench.add_run(LATE)
    pair.bench.stage()
    pair.bench.commit("a result, past the hooks")


def _left_out(pair: Pair) -> None:
    """Regenerated, but the result fails the schema: the manifest hook leaves it out."""
    pair.bench.publish(LATE, sagellm_version=7)


def _re_indented(pair: Pair) -> None:
    """Past the hooks, and the manifest re-indented by hand: read entry by entry."""
    _past_the_hooks(pair)
    doc = pair.bench.manifest()
    pair.bench.write("outputs/sync-manifest.json", json.dumps(doc, indent=4) + "\n")
    pair.bench.stage()
    pair.bench.commit("manifest re-indented")


PASSES = "passes its checks: committed past the manifest hook, or a clash with another result"
# (case, what happened in the benchmark repository, the rules the file breaks)
CASES: list[tuple[str, Callable[[Pair], None], list[str]]] = [
    ("committed past the hooks", _past_the_hooks, []),
    ("left out by its checks", _left_out, ["schema-type"]),
    ("manifest not in the rendered form", _re_indented, []),
]


@pytest.mark.parametrize(("case", "change", "fails"), CASES, ids=[c[0] for c in CASES])
def test_a_result_the_manifest_leaves_out_is_named_everywhere(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[Pair], None],
    fails: list[str],
) -> None:
    pair.publish(RUNS[0])
    change(pair)
    argv = ["apply", "--source", str(pair.bench.root), "--dry-run"]
    code, out, err = run_cli(capsys, *argv, "--json")
    assert code == 0, (case, err)
    report = json.loads(out)
    assert report["unlisted"] == [{"path": LATE.source, "fails": fails}], case
    assert report["new"] == [RUNS[0].target]
    why = f"fails {', '.join(fails)}" if fails else PASSES
    body = report["pr"]["body"]
    assert "### Not in the manifest (1)" in body
    assert f"- {LATE.source} ({why})\n" in body
    code, out, _err = run_cli(capsys, *argv)
    assert code == 0
    assert (
        "warning: 1 result file of the source is not in its manifest, so not synced: left out "
        "by its checks, or committed without its hooks; 'benchsync check' in the benchmark "
        "repository says why\n"
        f"  unlisted {LATE.source} ({why})\n"
    ) in out


def test_no_warning_when_the_manifest_names_every_result(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(RUNS[0], LATE)
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["unlisted"] == []
    assert len(report["new"]) == 2
    assert "Not in the manifest" not in report["pr"]["body"]


def test_the_pull_request_body_stays_under_githubs_limit(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitHub refuses a body over 65,536 characters: a sync of hundreds of results (and
    long lists beside them) cuts each table to fit and says how many rows it left out."""
    from benchsync_hooks import samples
    from benchsync_hooks.sync.prbody import MAX_BODY, ROW_CAPS

    runs = [
        samples.Run("cpu", f"model-{i // 50}", "short", "20260128", i % 50 + 1, "short_input")
        for i in range(400)
    ]
    pair.publish(*runs)
    for i in range(60):  # past the hooks, each with a long name
        pair.bench.write(f"outputs/{'d' * 200}/{'e' * 200}/x{i}_leaderboard.json", "{}")
    pair.bench.stage()
    pair.bench.commit("long names, past the hooks")
    report = _dry_run(pair, capsys)
    assert len(report["new"]) == 400 and len(report["unlisted"]) == 60
    assert [u["fails"] is None for u in report["unlisted"]] == [False] * 50 + [True] * 10
    body = report["pr"]["body"]
    assert len(body) <= MAX_BODY
    [more] = re.findall(r"_… and (\d+) more \(`benchsync apply --json` lists them all\)_", body)
    assert 400 - int(more) in ROW_CAPS  # the results table, cut to the most rows that fit
    assert "- … and 10 more (`benchsync apply --json` lists them all)" in body


@pytest.mark.parametrize(
    ("bench_config", "site_config", "unlisted"),
    [
        ('exclude = ["outputs/cpu/gpt2/short_20260129_001/"]\n', "", []),
        ("", 'exclude = ["outputs/cpu/"]\n', [LATE.source]),
    ],
    ids=["the benchmark excludes it", "only the website excludes it"],
)
def test_unlisted_follows_the_benchmark_repositorys_own_selection(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    bench_config: str,
    site_config: str,
    unlisted: list[str],
) -> None:
    """A result the benchmark repository's configuration leaves out on purpose is no
    warning; the website's own include/exclude does not hide one it forgot."""
    if bench_config:
        pair.bench.write(".benchsync.toml", bench_config)
    if site_config:
        pair.commit_site("website configuration", {".benchsync.toml": site_config})
    pair.publish(RUNS[0])
    _past_the_hooks(pair)
    report = _dry_run(pair, capsys)
    assert [u["path"] for u in report["unlisted"]] == unlisted


def test_under_github_actions_an_unlisted_result_is_seen_with_nothing_to_sync(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The case the warning is for: one result committed past the hooks, nothing else new.
    No PR; an annotation, the step output and the step summary say it."""
    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", BRANCH)  # the sync PR merged
    _past_the_hooks(pair)
    output, summary = tmp_path / "output", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0, err
    assert "nothing to sync" in out
    assert out.splitlines()[-1] == (
        "::warning title=benchsync::1 result file of the source is not in its manifest, so "
        "not synced: left out by its checks, or committed without its hooks; 'benchsync "
        "check' in the benchmark repository says why"
    )
    assert "unlisted=1\n" in output.read_text()
    assert "**Warning:** 1 result file of the source is not in its manifest" in summary.read_text()
    assert f"{LATE.source} (passes its checks" in summary.read_text()


def test_a_body_whose_rows_are_all_long_is_cut_at_a_line(
    pair: Pair, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When even the fewest rows do not fit (every cell at its longest), the text itself
    is cut at the end of a line, and says so."""
    from benchsync_hooks.sync import prbody

    monkeypatch.setattr(prbody, "MAX_BODY", 1_000)
    monkeypatch.setattr(prbody, "ROW_CAPS", (None,))
    pair.publish(*RUNS)
    report = _dry_run(pair, capsys)
    body = report["pr"]["body"]
    assert len(body) <= 1_000
    assert body.endswith(prbody.CUT)
    assert body[: -len(prbody.CUT)].endswith("\n")


def test_a_hostile_source_configuration_is_not_parsed(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """The benchmark repository's pyproject.toml with a dotted key of thousands of parts
    (the TOML parser's cost grows with their square: 30,000 take minutes and gigabytes):
    not parsed, the website's selection is used, and the run goes on."""
    pair.bench.write("pyproject.toml", "[tool.x]\n" + "a" + ".a" * 2_000 + " = 1\n")
    pair.bench.write(".benchsync.toml", 'exclude = ["outputs/cpu/gpt2/short_20260129_001/"]\n')
    pair.publish(RUNS[0])
    _past_the_hooks(pair)
    report = _dry_run(pair, capsys)
    assert [u["path"] for u in report["unlisted"]] == [LATE.source]
    assert report["warnings"] == [
        f"the benchmark repository's configuration at {report['source']['commit'][:7]} "
        "cannot be read (pyproject.toml has a line with over 64 dots): the results its "
        "manifest leaves out were looked for with this website's include/exclude"
    ]


def test_an_invalid_source_configuration_is_a_warning(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Committed past the hooks, the benchmark repository's configuration is not one
    benchsync reads: the sync goes on with the website's selection, and says so."""
    pair.publish(*RUNS[:1])
    pair.bench.write(".benchsync.toml", "include = 5\n")
    pair.bench.stage()
    pair.bench.commit("a broken configuration")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0, err
    [line] = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert line.startswith("warning: the benchmark repository's configuration at "), line
    assert "cannot be read (.benchsync.toml: " in line and "include" in line
    assert out.endswith(line + "\n")  # (last: seen)


@pytest.mark.parametrize(
    "pattern",
    [
        "**/*a*/**/*a*/**/*a*/zz",
        "outputs/*a*/*a*/*a*/zz",
        "outputs/*a*/**/" + "*/" * 300 + "zz",
        "**/*a*/*a*/*a*/*_leaderboard.json",
    ],
)
def test_a_backtracking_source_pattern_is_matched_in_linear_time(
    pair: Pair, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    """Patterns whose Python regex backtracks for minutes (or hours) on one deep path of the
    source's own are matched by RE2: the run ends, and a deep result they select is found."""
    from benchsync_hooks.gitignore import compiled

    assert type(compiled([pattern])._backend).__name__ == "Re2GiBackend"
    pair.publish(*RUNS[:1])
    pair.bench.write(".benchsync.toml", f'include = ["*_leaderboard.json", "{pattern}"]\n')
    deep = "outputs/" + "/".join(["a" * 150] * 20)
    pair.bench.write(f"{deep}/y.txt", "x")
    pair.bench.write(f"{deep}/aa/x_leaderboard.json", "{}")
    pair.bench.stage()
    pair.bench.commit("a backtracking pattern and a deep path")
    report = _dry_run(pair, capsys)
    assert report["warnings"] == []
    assert [u["path"] for u in report["unlisted"]] == [f"{deep}/aa/x_leaderboard.json"]


def test_unlisted_files_are_checked_within_a_budget(
    pair: Pair, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file over the website's max_file_size is said to be, from its listed size, without
    a read; the others are checked until the budget of bytes is spent (then not checked)."""
    from benchsync_hooks.sync import unlisted

    pair.commit_site("a small limit", {".benchsync.toml": "max_file_size = 5000\n"})
    pair.publish(RUNS[0])
    pair.bench.write("outputs/a/big_leaderboard.json", "[" + "1," * 4000 + "1]")
    for name in ("b", "c", "d"):
        pair.bench.write(f"outputs/{name}/x_leaderboard.json", "{}")
    pair.bench.stage()
    pair.bench.commit("past the hooks")
    monkeypatch.setattr(unlisted, "BUDGET", 5)  # two files of 2 bytes
    report = _dry_run(pair, capsys)
    fails = {u["path"]: u["fails"] for u in report["unlisted"]}
    assert fails["outputs/a/big_leaderboard.json"] == ["json-size"]
    assert [fails[f"outputs/{n}/x_leaderboard.json"] is None for n in "bcd"] == [False, False, True]
