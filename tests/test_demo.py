"""`benchsync demo` runs the whole flow on bundled samples."""

from __future__ import annotations

import pytest
from conftest import run_cli


@pytest.mark.slow(5)
def test_demo(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    code, out, err = run_cli(capsys, "demo")
    assert code == 0, err
    assert "json-duplicate-key" in out
    assert (
        "layout-shape" in out
        and "git mv outputs/exp1_gpt2_short/short_input_leaderboard.json" in out
    )
    assert "manifest updated: git add outputs/sync-manifest.json" in out
    assert "the manifest lists 5 files" in out
    assert "leaderboard-manifest.....................................................Passed" in out
    assert "plan: 4 new, 0 updated, 1 unchanged, 0 rejected; 1 website file kept" in out
    assert "| new | cpu | gpt2 | short_20260129_001 | short | short_input | 1× CPU |" in out
    assert "(vs short_20260128_001)" in out
    assert "**Performance:** 1 regression, 0 improvements, 3 first runs" in out
    assert "| cpu/gpt2/short_20260129_001_short_input | ttft_ms (lower is better) |" in out
    assert "already holds these results" in out


def test_the_demo_hooks_end_their_options_before_the_file_names() -> None:
    """(a staged file named --schema=x_leaderboard.json is a file there too)"""
    import yaml

    from benchsync_hooks.commands.demo import _hook_config

    hooks = {h["id"]: h for h in yaml.safe_load(_hook_config())["repos"][0]["hooks"]}
    for hook_id in ("leaderboard-schema", "leaderboard-layout"):
        assert hooks[hook_id]["pass_filenames"] is True
        assert hooks[hook_id]["entry"].endswith(" --"), hooks[hook_id]
    assert hooks["leaderboard-manifest"]["pass_filenames"] is False
