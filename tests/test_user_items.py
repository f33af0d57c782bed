"""What a new user hit: hints that lead to the next failure, one JSON document per run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import RUN, RUNS, BenchRepo, Pair, run_cli

from benchsync_hooks import samples
from benchsync_hooks.arguments import build_parser


def test_the_root_strays_hint_lists_every_change(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real benchmark history has outputs/long_input_leaderboard.json with model.name
    'unknown' and an outputs/config.json naming only model_path."""
    stray = "outputs/long_input_leaderboard.json"
    long_run = samples.Run("cpu", "gpt2", "long", "20260128", 1, "long_input")
    bench.write(stray, samples.result(long_run, model__name="unknown"))
    bench.write("outputs/config.json", {"model_path": "gpt2", "timestamp": "2026-01-28T10:28"})
    bench.stage()
    code, out, _err = run_cli(capsys, "layout", stray)
    assert code == 1
    assert (
        "move it to outputs/<backend>/gpt2/long_20260128_<NNN>/long_input_leaderboard.json "
        "(outputs/config.json lacks backend; fill in the unknown parts); "
        "then set model.name to 'gpt2' (it is 'unknown')"
    ) in out


def test_an_upper_case_backend_is_told_its_lower_case_name(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = RUN.source.replace("/cpu/", "/CPU/")
    bench.write(rel, samples.result(RUN))
    bench.stage()
    code, out, _err = run_cli(capsys, "layout", rel)
    assert code == 1
    assert (
        "backend 'CPU' is not a lower-case slug (a-z, 0-9, _ and -); rename the folder to 'cpu'"
        in out
    )


def test_an_unknown_config_key_gets_a_did_you_mean(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.write(".benchsync.toml", "date_tolerence_days = 2\n")
    code, _out, err = run_cli(capsys, "check")
    assert code == 2
    assert "unknown key 'date_tolerence_days'; did you mean 'date_tolerance_days'?" in err


def test_demo_help_describes_both_halves() -> None:
    parser = build_parser()
    demo = parser._subparsers._group_actions[0].choices["demo"]  # type: ignore[union-attr]
    text = " ".join(demo.format_help().split())
    assert "pre-commit" in text and "benchsync apply" in text and "pull request" in text


def _one_document(out: str) -> dict[str, object]:
    doc = json.loads(out)  # raises if stdout is anything but one JSON document
    assert isinstance(doc, dict) and isinstance(doc["ok"], bool)
    return doc


@pytest.mark.parametrize(
    "outcome",
    ["clean", "problems", "environment error"],
)
def test_every_command_prints_one_json_document(
    pair: Pair, capsys: pytest.CaptureFixture[str], outcome: str
) -> None:
    pair.publish(*RUNS[:2])
    bench = pair.bench.root
    files = [str(bench / r.source) for r in RUNS[:2]]
    if outcome == "problems":
        pair.bench.write(RUNS[0].source, samples.result(RUNS[0], metrics__error_rate=3))
        pair.bench.stage()
    if outcome == "environment error":
        (bench / ".benchsync.toml").write_text("nonsense_key = 1\n")
        (pair.site / ".benchsync.toml").write_text("nonsense_key = 1\n")
    os.chdir(bench)
    runs = [
        ["schema", "--format", "json", *files],
        ["layout", "--format", "json", *files],
        ["manifest", "--format", "json"],
        ["manifest", "--check", "--format", "json"],
        ["check", "--format", "json"],
    ]
    for argv in runs:
        code, out, _err = run_cli(capsys, *argv)
        doc = _one_document(out)
        assert doc["ok"] is (code == 0), (argv, out)
    os.chdir(pair.site)
    for argv in (
        ["apply", "--source", str(bench), "--json", "--dry-run"],
        ["apply", "--source", str(bench), "--json"],
        ["check", "--website", "--format", "json"],
    ):
        code, out, _err = run_cli(capsys, *argv)
        doc = _one_document(out)
        assert doc["ok"] is (code == 0), (argv, out)


#: (arguments argparse refuses, whether they ask for JSON, the error's words)
USAGE_ERRORS = [
    (["apply", "--json"], True, "the following arguments are required: --source"),
    (["apply", "--jso", "--dry-run"], True, "required: --source"),
    (["apply", "--source=x", "--json=1"], True, "argument --json: ignored explicit argument '1'"),
    (["check", "--format", "json", "--nope"], True, "unrecognized arguments: --nope"),
    (["check", "--format=json", "--nope"], True, "unrecognized arguments: --nope"),
    (["schema", "--form", "json", "--schema"], True, "expected one argument"),
    (["nope", "--json"], True, "invalid choice: 'nope'"),
    (["schema", "--format", "xml"], False, "invalid choice: 'xml'"),
    (["check", "--nope"], False, "unrecognized arguments: --nope"),
    (["apply", "--dry-run", "--", "--json"], False, "required: --source"),
    (
        ["apply", "--source", "x", "--dryrun"],
        False,
        "usage: benchsync apply [-h] --source SRC",  # its command's usage, not the top's
    ),
    (
        ["apply", "--source", "x", "--json", "--dryrun"],
        True,
        "benchsync apply: error: unrecognized arguments: --dryrun (did you mean --dry-run?)",
    ),
    (
        ["check", "--formt=json", "--website"],
        False,
        "benchsync check: error: unrecognized arguments: --formt=json (did you mean --format?)",
    ),
]


@pytest.mark.parametrize(("argv", "as_json", "words"), USAGE_ERRORS)
def test_a_usage_error_is_one_json_document_when_json_is_asked_for(
    capsys: pytest.CaptureFixture[str], argv: list[str], as_json: bool, words: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.startswith("usage: benchsync") and "error: " in err and words in err
    if as_json:
        doc = _one_document(out)
        assert doc["ok"] is False and doc["exit_code"] == 2 and doc["problems"] == []
        said = words.replace(": error: ", ": ")
        assert said in str(doc["error"]) and str(doc["error"]).startswith("benchsync")
        assert f"{doc['error']}".replace(": ", ": error: ", 1) in err  # the same words
    else:
        assert out == ""


def test_the_license_is_an_spdx_string() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # the table form is deprecated by setuptools


def test_the_websites_own_problems_are_listed_in_the_pr_without_stopping_it(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    legacy = "data/results/long_input_leaderboard.json/_long_input_leaderboard.json"
    pair.commit_site("the old sync's broken path", {legacy: samples.dumps(samples.result(RUNS[0]))})
    pair.publish(RUNS[1])
    code, out, _err = run_cli(capsys, "check", "--website", "--format", "json")
    assert code == 1
    report = tmp_path / "website-check.json"
    report.write_text(out)
    code, out, _err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), "--json", "--website-report", str(report)
    )
    assert code == 0
    body = json.loads(out)["pr"]["body"]
    assert "### Website problems (1, not caused by this sync)" in body
    assert f"| {legacy} | website-layout |" in body
    assert json.loads(out)["new"] == [RUNS[1].target]


def test_a_rejected_file_is_named_once(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    from test_apply import _honest_but_invalid

    pair.publish(*RUNS)
    _honest_but_invalid(pair, RUNS[1])  # error_rate 3, listed with true claims
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--json")
    assert code == 1
    [problem] = json.loads(out)["problems"]
    assert (problem["path"], problem["rule"]) == (RUNS[1].source, "schema-maximum")
    assert problem["message"] == "3 is above the maximum 1"  # no path, no rule again


def test_the_workflow_says_what_the_repository_must_allow() -> None:
    root = Path(__file__).parents[1]
    workflow = (root / "examples/github/website-sync.yml").read_text("utf-8")
    readme = root.joinpath("README.md").read_text("utf-8")
    for text in (workflow, " ".join(readme.split())):
        assert "Allow GitHub Actions to create and approve pull requests" in " ".join(text.split())
        assert "does not" in text and "GITHUB_TOKEN" in text
    # the website's own problems go into the PR body; they do not stop the sync (the action
    # runs `check --website` and passes its report to apply)
    assert "website-report: true" in workflow
    permissions = workflow.split("permissions:\n", 1)[1].split("\n\n", 1)[0]
    assert permissions.split() == ["contents:", "write", "pull-requests:", "write"]


def test_a_usage_error_under_github_actions_is_an_annotation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = run_cli(capsys, "apply", "--json", "--bogus")
    assert code == 2 and _one_document(out)["ok"] is False
    assert err.splitlines()[-1] == (
        "::error title=benchsync::benchsync apply: the following arguments are required: --source"
    )


@pytest.mark.parametrize("command", ["schema", "layout"])
@pytest.mark.parametrize("fmt", [(), ("--format", "json")])
def test_no_file_given_says_nothing_was_checked(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], command: str, fmt: tuple[str, ...]
) -> None:
    os.chdir(bench.root)
    code, out, err = run_cli(capsys, command, *fmt)
    assert code == 0
    assert err == (
        f"benchsync {command}: no FILE given, nothing checked (pre-commit passes the staged "
        "results; 'benchsync check' checks the whole repository)\n"
    )
    assert out == ("" if not fmt else '{\n  "ok": true,\n  "problems": []\n}\n')
