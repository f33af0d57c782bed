"""Regression alerts end to end: real repositories, a bare remote and the fake GitHub API.

An earlier result of one configuration is on the website; the benchmark repository brings a
later run of it. The pull request, its label, --json, GITHUB_OUTPUT, the step summary and
--fail-on-regression all tell the same regressions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Pair, run_cli
from fake_github import State
from test_publish import publish, site

from benchsync_hooks import samples

__all__ = ["site"]  # the fixture, shared with test_publish

EARLIER = samples.Run("cpu", "gpt2", "short", "20260120", 1, "short_input")
LATER = samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input")
LABEL = "performance-regression"
BEFORE = {"metrics__ttft_ms": 200.0, "metrics__throughput_tps": 1000.0}


def _later(pair: Pair, *, ttft: float, throughput: float = 1000.0, **more: Any) -> None:
    pair.publish(LATER, metrics__ttft_ms=ttft, metrics__throughput_tps=throughput, **more)


def _labels_removed(state: State) -> list[tuple[str, str, int]]:
    return [r for r in state.requests if r[0] == "DELETE" and "/labels/" in r[1]]


def test_a_regression_labels_the_pr_and_a_later_sync_without_one_unlabels_it(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, state, _remote = site
    pair.seed_site(EARLIER, **BEFORE)
    _later(pair, ttft=260.0, throughput=1250.0)  # TTFT +30%: worse; throughput +25%: better
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["verdict"] == "1 regression, 1 improvement, 0 first runs"
    [pull] = state.open_pulls()
    assert pull["label_names"] == ["automated", "benchmark-sync", "data-update", LABEL]
    assert state.labels[LABEL]["color"] == "d73a4a"  # created, with its color and description
    assert "got worse" in state.labels[LABEL]["description"]
    body = pull["body"]
    assert body.startswith("**Performance:** 1 regression, 1 improvement, 0 first runs\n")
    regressions = body.index("| result | metric | before → after | change | vs run |")
    assert regressions < body.index("## Benchmark results sync")  # the regressions come first
    assert (
        "| cpu/gpt2/short_20260128_001_short_input | ttft_ms (lower is better) "
        "| 200 → 260 | +30.0% | short_20260120_001 |"
    ) in body
    assert "| 1 regression: ttft_ms +30.0% (vs short_20260120_001) |" in body  # what regressed
    improvements = body.index("<details><summary>1 improvement</summary>\n\n| result |")
    assert regressions < improvements < body.index("## Benchmark results sync")
    assert (  # (folded, after the regressions: named, not only counted)
        "| cpu/gpt2/short_20260128_001_short_input | throughput_tps (higher is better) "
        "| 1,000 → 1,250 | +25.0% | short_20260120_001 |\n\n</details>"
    ) in body

    _later(pair, ttft=190.0)  # fixed before the merge: the PR is updated, no regression left
    pair.site_git("checkout", "-q", "main")
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["pr"]["operation"] == "updated" and report["regressions"] == []
    assert state.pulls[1]["label_names"] == ["automated", "benchmark-sync", "data-update"]
    assert [r[2] for r in _labels_removed(state)] == [200]
    assert state.pulls[1]["body"].startswith("**Performance:** 0 regressions, 0 improvements")

    _later(pair, ttft=185.0)  # still none: the label is not on the PR, so nothing is removed
    pair.site_git("checkout", "-q", "main")
    assert publish(capsys, pair)[0] == 0
    assert len(_labels_removed(state)) == 1


@pytest.mark.parametrize(
    ("status", "answers", "code", "message"),
    [
        (404, [404], 0, ""),  # not on the pull request (any more): nothing to remove
        (
            403,
            [403],
            1,
            "GitHub answered 403 while trying to remove label 'performance-regression' "
            "from pull request #1: the token lacks permission",
        ),
    ],
    ids=["404 not there", "403"],
)
def test_removing_the_label_when_the_api_fails(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    status: int,
    answers: list[int],
    code: int,
    message: str,
) -> None:
    pair, state, _remote = site
    pair.seed_site(EARLIER, **BEFORE)
    _later(pair, ttft=300.0)
    assert publish(capsys, pair)[0] == 0
    _later(pair, ttft=200.0)
    pair.site_git("checkout", "-q", "main")
    state.fail("DELETE", "/repos/octo/site/issues/1/labels/", status)
    got, _report, err = publish(capsys, pair)
    assert got == code
    if message:
        assert err.startswith(f"benchsync apply: {message}") and len(err.splitlines()) == 1
    else:
        assert err == ""
    assert [r[2] for r in _labels_removed(state)] == answers


def test_creating_the_regression_label_refused_is_one_line(
    site: tuple[Pair, State, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pair, state, _remote = site
    for name in ("automated", "benchmark-sync", "data-update"):
        state.labels[name] = {"name": name, "color": "ededed"}
    pair.seed_site(EARLIER, **BEFORE)
    _later(pair, ttft=300.0)
    state.fail("POST", "/repos/octo/site/labels", 403)
    code, _report, err = publish(capsys, pair)
    assert code == 1
    assert err.startswith(
        f"benchsync apply: GitHub answered 403 while trying to create label '{LABEL}'"
    )
    assert len(err.splitlines()) == 1


def test_fail_on_regression_exits_1_after_the_pr_is_written(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pair, state, _remote = site
    pair.seed_site(EARLIER, **BEFORE)
    _later(pair, ttft=300.0, throughput=1200.0)

    capsys.readouterr()
    code, out, err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), "--dry-run", "--fail-on-regression"
    )
    assert code == 1 and "performance: 1 regression, 1 improvement" in out
    target = "data/results/cpu/gpt2/short_20260128_001_short_input_leaderboard.json"
    assert (
        f"\n  regression {target} ttft_ms 200 → 300 (+50.0%, vs short_20260120_001)\n"
        f"  improvement {target} throughput_tps 1,000 → 1,200 (+20.0%, vs short_20260120_001)\n"
    ) in out
    assert err == (
        "benchsync apply: 1 regression against the earlier runs (--fail-on-regression); "
        "the pull request body lists them\n"
    )
    assert pair.site_git("branch", "--list", "benchsync/*") == ""  # nothing written

    output = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    code, report, err = publish(capsys, pair, "--fail-on-regression")
    assert code == 1 and len(err.splitlines()) == 1 and "--fail-on-regression" in err
    assert report["ok"] is False and report["pr"]["operation"] == "created"  # one document
    assert [r["metric"] for r in report["regressions"]] == ["ttft_ms"]
    [pull] = state.open_pulls()
    assert LABEL in pull["label_names"] and "| +50.0% |" in pull["body"]
    assert report["pushed"] is True
    assert "regressions=1\n" in output.read_text()

    _later(pair, ttft=200.0)
    pair.site_git("checkout", "-q", "main")
    code, report, err = publish(capsys, pair, "--fail-on-regression")
    assert (code, report["ok"], err) == (0, True, "")


def test_json_outputs_and_summary_carry_the_same_list(
    site: tuple[Pair, State, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pair, _state, _remote = site
    odd = "p99|<img src=x>@team"  # a metric name of the configuration, shown as text
    (pair.site / ".benchsync.toml").write_text(
        "api_backoff = 0.01\napi_write_interval = 0\napi_max_wait = 5\n"
        f'[regression_metrics]\n{json.dumps(odd)} = "lower"\nerror_rate = {{ threshold = 50 }}\n'
    )
    pair.seed_site(EARLIER, **BEFORE, **{"metrics__" + odd: 10})
    other = samples.Run("cuda", "gpt2", "long", "20260128", 1, "long_input")
    pair.publish(other)  # a first run
    _later(pair, ttft=300.0, metrics__error_rate=0.25, **{"metrics__" + odd: 12})
    output, summary = tmp_path / "out", tmp_path / "summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, report, err = publish(capsys, pair)
    assert code == 0, err
    assert report["verdict"] == "3 regressions, 0 improvements, 1 first run"
    assert report["first_runs"] == [other.target]
    listed = report["regressions"]
    assert [(r["metric"], r["change_pct"], r["note"]) for r in listed] == [
        ("ttft_ms", 50.0, ""),
        ("error_rate", None, "baseline 0"),  # 0 → 0.25 is not divided
        (odd, 20.0, ""),
    ]
    assert listed[1]["threshold"] == 50.0 and listed[0]["threshold"] == 10.0
    assert {r["result"] for r in listed} == {LATER.target}
    assert {r["baseline_run"] for r in listed} == {EARLIER.run_id}
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert values["regressions"] == "3"
    assert json.loads(values["regressions-json"]) == listed
    assert values["pr-labels"].endswith(f",{LABEL}")
    text = summary.read_text()
    rows = [x for x in text.splitlines() if x.startswith("| cpu/gpt2/short_20260128_001")]
    assert len(rows) == len(listed)
    assert "| 0 → 0.25 | baseline 0 |" in rows[1]
    assert (
        "| p99\\|&lt;img src=x&gt;@\u200bteam (lower is better) | 10 → 12 | +20.0% |" in (rows[2])
    )
    assert report["pr"]["body"] in text  # the step summary is the PR body
