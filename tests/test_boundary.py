"""The trust boundary as a property: what passes the benchmark side passes the website."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import git, init_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchsync_hooks import samples
from benchsync_hooks.cli import main

# Names and values near the edge of the rules: valid slugs, and the ways a name goes wrong.
NAMES = st.sampled_from(
    [
        "cpu",
        "cuda",
        "CPU",
        "cpu\n",
        "c pu",
        "gpt2",
        "Qwen2.5-0.5B",
        "gpt2\n",
        "g\u0660pt",
        "..",
        "-x",
    ]
)
RUN_IDS = st.sampled_from(
    [
        "short_20260128_001",
        "short_20260128_001\n",
        "short_2026012\u0668_001",
        "short_20260230_001",
        "short_20260128_000",
        "Short_20260128_001",
        "m1_20260130_002",
    ]
)
STEMS = st.sampled_from(["short_input", "long_input", "stress_test", "short_input\n", "x y"])
VALUES = st.sampled_from(
    [
        {},
        {"sagellm_version": "0.3.0.7\n"},
        {"sagellm_version": "\u0660.3.0.7"},
        {"entry_id": "2908b9e8-9376-4c5b-888f-a6e1ae007966\n"},
        {"hardware__chip_model": "A100 <!-- | `x` @team ![i](http://x)"},
        {"metrics__error_rate": 1.5},
        {"metrics__ttft_ms": 1e300},
    ]
)


def _result(run: samples.Run, change: dict[str, Any]) -> dict[str, Any]:
    doc = samples.result(run)
    for key, value in change.items():
        node = doc
        *parents, last = key.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return doc


def _cli(cwd: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    here = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(list(argv))
    finally:
        os.chdir(here)
    return code, out.getvalue()


@pytest.mark.slow(5)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(NAMES, NAMES, RUN_IDS, STEMS, VALUES), min_size=1, max_size=3),
)
def test_what_the_benchmark_side_accepts_the_website_accepts(
    results: list[tuple[str, str, str, str, dict[str, Any]]],
) -> None:
    top = Path(tempfile.mkdtemp(prefix="benchsync-boundary-"))
    try:
        bench = init_repo(top / "bench")
        site = init_repo(top / "site")
        (site / "README.md").write_text("site\n")
        git(site, "add", "-A")
        git(site, "commit", "-q", "-m", "init")
        for backend, model, run_id, stem, change in results:
            rel = f"outputs/{backend}/{model}/{run_id}/{stem}_leaderboard.json"
            path = bench / rel
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                continue
            good = samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input")
            path.write_text(json.dumps(_result(good, change), indent=2))
        git(bench, "add", "-A")
        _cli(bench, "manifest")
        git(bench, "add", "-A")
        git(bench, "commit", "-q", "--no-verify", "--allow-empty", "-m", "results")
        code, out = _cli(bench, "check", "--format", "json")
        assert code in (0, 1)
        assert json.loads(out)["ok"] is (code == 0)
        code, out = _cli(site, "apply", "--source", str(bench), "--json")
        assert code in (0, 1), out
        json.loads(out)  # one JSON document, success or failure
        if _cli(bench, "check")[0] != 0:
            return
        assert code == 0, out
        written = json.loads(out)["new"]
        if written:
            code, out = _cli(site, "check", "--website")
            assert code == 0, out
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize(
    "chip",
    ["A100 <!--", "| x | y |", "`rm -rf`", "@everyone", "![pwn](http://x/y.png)", "<script>"],
)
def test_untrusted_strings_cannot_shape_the_pr_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], chip: str
) -> None:
    from conftest import Pair

    pair = Pair(tmp_path, capsys)
    run = samples.Run("cuda", "gpt2", "short", "20260128", 1, "short_input")
    pair.bench.write(run.source, _result(run, {"hardware__chip_model": chip}))
    pair.bench.write(str(Path(run.source).parent / "config.json"), samples.run_config(run))
    pair.bench.stage()
    _cli(pair.bench.root, "manifest")
    pair.bench.stage()
    pair.bench.commit()
    code, out = _cli(pair.site, "apply", "--source", str(pair.bench.root), "--json")
    assert code == 0, out
    body = json.loads(out)["pr"]["body"]
    row = next(line for line in body.splitlines() if line.startswith("| new"))
    assert row.count(" | ") == 10  # the row keeps its 11 columns
    for raw in ("<!--", "<script>", "@everyone", "!["):
        assert raw not in body
    assert re.search(r"(?<!\\)`", row) is None  # no code span opens
