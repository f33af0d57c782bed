"""The daily flow through real pre-commit: deletions, config.json edits, an ignored manifest,
a deliberate SKIP."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import RUN, BenchRepo
from test_precommit import commit, hooks_repo, installed

from benchsync_hooks import samples

__all__ = ["hooks_repo"]  # the fixture, shared with test_precommit

OTHER = samples.Run("cpu", "gpt2", "short", "20260129", 1, "short_input")
#: The benchmark repository's real outputs/.gitignore (shared/reference): only results and
#: config.json files are tracked, so the manifest is ignored until an exception is added.
REAL_GITIGNORE = "*\n!.gitignore\n!*_leaderboard.json\n!config.json\n!*/\n"


def _commit_with_manifest(bench: BenchRepo, env: dict[str, str]) -> str:
    first = commit(bench, env)
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "manifest updated: git add outputs/sync-manifest.json" in output
    bench.git("add", "outputs/sync-manifest.json")
    second = commit(bench, env)
    assert second.returncode == 0, second.stdout + second.stderr
    return output


def test_a_commit_that_only_deletes_a_result_updates_the_manifest(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    env = installed(bench, hooks_repo)
    bench.add_run(RUN)
    bench.add_run(OTHER)
    bench.stage()
    _commit_with_manifest(bench, env)
    bench.git("rm", "-q", OTHER.source)
    output = _commit_with_manifest(bench, env)
    assert "leaderboard sync manifest" in output and "Failed" in output
    assert [f["source"] for f in bench.manifest()["files"]] == [RUN.source]


def test_a_commit_that_only_edits_a_config_json_cannot_drop_a_published_result(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    """No checking hook runs on a config.json: the manifest hook stops each commit that
    would take a published result out of the manifest, and says why."""
    env = installed(bench, hooks_repo)
    bench.add_run(RUN)
    bench.stage()
    _commit_with_manifest(bench, env)
    config = str(Path(RUN.source).parent / "config.json")
    bench.write(config, {**samples.run_config(RUN), "backend": "cuda"})
    bench.stage()
    for _attempt in range(2):  # with the rewritten manifest added too: stopped again
        refused = commit(bench, env)
        output = refused.stdout + refused.stderr
        assert refused.returncode == 1, output
        assert "is published (HEAD's manifest lists it) but now fails config-json" in output
        bench.git("add", "outputs/sync-manifest.json")
    assert [f["source"] for f in bench.manifest()["files"]] == []  # rewritten, never committed
    assert bench.git("show", "HEAD:outputs/sync-manifest.json").count(RUN.source) == 1


def test_an_ignored_manifest_gets_one_message_with_one_fix(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    env = installed(bench, hooks_repo)
    bench.write("outputs/.gitignore", REAL_GITIGNORE)
    bench.add_run(RUN)
    bench.stage()
    result = commit(bench, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    fixes = [line for line in output.splitlines() if "sync-manifest.json" in line]
    assert fixes == [
        "outputs/sync-manifest.json: manifest-ignored is ignored by git "
        "(outputs/.gitignore:1:*), so the website never sees it: add '!sync-manifest.json' "
        "to outputs/.gitignore, then git add outputs/sync-manifest.json"
    ], output
    with (bench.root / "outputs/.gitignore").open("a") as handle:
        handle.write("!sync-manifest.json\n")
    bench.git("add", "outputs/.gitignore", "outputs/sync-manifest.json")
    accepted = commit(bench, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_a_deliberate_skip_of_the_layout_hook_commits(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    env = installed(bench, hooks_repo)
    bench.add_run(RUN)
    stray = "outputs/exp1_gpt2_short/short_input_leaderboard.json"
    bench.write(stray, samples.result(OTHER))
    bench.stage()
    env = {**env, "SKIP": "leaderboard-layout"}
    output = _commit_with_manifest(bench, env)
    assert f"{stray}: manifest-left-out" in output
    assert [f["source"] for f in bench.manifest()["files"]] == [RUN.source]


def test_the_checking_hooks_still_fail_a_left_out_file(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    """The manifest hook leaves an invalid result out; the schema and the layout hook both
    still fail on it, in one commit through the installed hooks."""
    env = installed(bench, hooks_repo)
    bad = samples.Run("cpu", "gpt2", "long", "20260128", 1, "long_input")
    bench.add_run(bad, metrics__error_rate=7, model__name="other")
    bench.stage()
    result = commit(bench, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    for hook, rule in (
        ("leaderboard schema", "schema-maximum"),
        ("leaderboard layout", "model-name"),
    ):
        assert re.search(rf"^{hook}\.+Failed$", output, re.MULTILINE), output
        assert re.search(rf"^{re.escape(bad.source)}:\d+:\d+: {rule} ", output, re.MULTILINE)
    assert f"{bad.source}: manifest-left-out" in output


def test_committing_again_without_adding_the_manifest_is_stopped(
    bench: BenchRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    env = installed(bench, hooks_repo)
    bench.add_run(RUN)
    bench.stage()
    first = commit(bench, env)
    assert first.returncode == 1
    again = commit(bench, env)  # the user forgot `git add outputs/sync-manifest.json`
    assert again.returncode == 1
    assert "manifest is current but not staged: git add outputs/sync-manifest.json" in (
        again.stdout + again.stderr
    )
    bench.git("add", "outputs/sync-manifest.json")
    assert commit(bench, env).returncode == 0
    assert bench.git("ls-files", "outputs/sync-manifest.json").strip()
