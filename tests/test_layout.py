"""`benchsync layout`: the convention, consistency, uniqueness, strays, ignores."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from conftest import RUN, BenchRepo, run_cli

from benchsync_hooks import samples
from benchsync_hooks.check.convention import parse_source, parse_target
from benchsync_hooks.check.jsondoc import JsonDoc
from benchsync_hooks.config import Config

GOOD = RUN.source
MANIFEST = "outputs/sync-manifest.json"

PATHS: list[tuple[str, str | None]] = [
    (GOOD, None),
    ("outputs/cuda/Qwen2.5-0.5B/m1_20260130_002/stress_test_leaderboard.json", None),
    ("outputs/vllm/tiny-gpt2/long_ctx_20260130_010/long_input_leaderboard.json", None),
    ("outputs/long_input_leaderboard.json", "layout-shape"),
    ("outputs/exp1_gpt2_short/short_input_leaderboard.json", "layout-shape"),
    ("outputs/cpu/gpt2/x/short_20260128_001/short_input_leaderboard.json", "layout-shape"),
    ("results/cpu/gpt2/short_20260128_001/short_input_leaderboard.json", "layout-root"),
    ("outputs/CPU/gpt2/short_20260128_001/short_input_leaderboard.json", "layout-backend"),
    ("outputs/cpu/gpt 2/short_20260128_001/short_input_leaderboard.json", "layout-model"),
    ("outputs/cpu/.hidden/short_20260128_001/short_input_leaderboard.json", "layout-model"),
    ("outputs/cpu/gpt2/short_2026-01-28_001/short_input_leaderboard.json", "layout-run-id"),
    ("outputs/cpu/gpt2/short_20260128_1/short_input_leaderboard.json", "layout-run-id"),
    ("outputs/cpu/gpt2/20260128_001/short_input_leaderboard.json", "layout-run-id"),
    ("outputs/cpu/gpt2/short_20260230_001/short_input_leaderboard.json", "layout-date"),
    ("outputs/cpu/gpt2/short_20261301_001/short_input_leaderboard.json", "layout-date"),
    ("outputs/cpu/gpt2/short_20260128_000/short_input_leaderboard.json", "layout-sequence"),
    ("outputs/cpu/gpt2/short_20260128_001/Short_leaderboard.json", "layout-name"),
    ("outputs/cpu/gpt2/short_20260128_001/_leaderboard.json", "layout-name"),
]


@pytest.mark.parametrize(("rel", "rule"), PATHS)
def test_parse_source(rel: str, rule: str | None) -> None:
    result, problems = parse_source(rel, Config())
    if rule is None:
        assert result is not None and not problems
        parts = rel.split("/")
        assert result.target("data/results") == (
            f"data/results/{parts[1]}/{parts[2]}/{parts[3]}_{parts[4]}"
        )
    else:
        assert result is None
        assert problems[0].rule == rule


def test_backends_can_be_restricted() -> None:
    config = Config(backends=("cuda",))
    _result, problems = parse_source(GOOD, config)
    assert [p.rule for p in problems] == ["layout-backend"]
    assert "not one of the configured backends: cuda" in problems[0].message


@pytest.mark.parametrize(
    ("rel", "ok"),
    [
        ("data/results/cpu/gpt2/short_20260128_005_short_input_leaderboard.json", True),
        ("data/results/long_input_leaderboard.json/_long_input_leaderboard.json", False),
        ("data/results/cpu/gpt2/short_input_leaderboard.json", False),
        ("data/results/cpu/gpt2/short_20260230_001_short_input_leaderboard.json", False),
        ("data/results/cpu/gpt2/sub/short_20260128_001_short_input_leaderboard.json", False),
    ],
)
def test_parse_target(rel: str, ok: bool) -> None:
    parts, reason = parse_target(rel, Config())
    assert (parts is not None) == ok, reason
    assert bool(reason) != ok


def _at(bench: BenchRepo, rel: str, pointer: str) -> str:
    """``rel:LINE:COL`` of the value at ``pointer`` in the file ``rel``."""
    text = (bench.root / rel).read_text("utf-8")
    line, col = JsonDoc(rel, text, None).position(pointer)
    return f"{rel}:{line}:{col}"


def _rules(out: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if ": " in line and "checked" not in line]


CONSISTENCY: list[tuple[str, dict[str, object], str | None]] = [
    ("good", {}, None),
    ("model name differs", {"model__name": "gpt-2"}, "model-name"),
    ("two days late", {"metadata__submitted_at": "2026-01-30T08:00:00+00:00"}, "run-date"),
    ("one day early is fine", {"metadata__submitted_at": "2026-01-27T20:00:00-08:00"}, None),
    ("far in the past", {"metadata__submitted_at": "2025-01-28T08:00:00+00:00"}, "run-date"),
]


@pytest.mark.parametrize(
    ("case", "overrides", "rule"), CONSISTENCY, ids=[c[0] for c in CONSISTENCY]
)
def test_consistency(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    case: str,
    overrides: dict[str, object],
    rule: str | None,
) -> None:
    bench.add_run(RUN, **overrides)
    code, out, _ = run_cli(capsys, "layout", RUN.source)
    if rule is None:
        assert (code, out) == (0, ""), case
    else:
        assert code == 1
        assert _rules(out) == [rule]
        assert out.startswith(f"{RUN.source}:")  # a position inside the file


def test_workload_file(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = samples.Run("cpu", "gpt2", "short", "20260128", 1, "long_input")
    bench.add_run(wrong)
    code, out, _ = run_cli(capsys, "layout", wrong.source)
    assert code == 1
    assert "workload-file long_input_leaderboard.json does not belong to workload 'short'" in out
    unknown = samples.Run("cpu", "gpt2", "soak", "20260128", 1, "long_input")
    bench.add_run(unknown)
    assert run_cli(capsys, "layout", unknown.source)[0] == 0
    bench.write(".benchsync.toml", '[workloads]\nsoak = ["soak_test"]\n')
    code, out, _ = run_cli(capsys, "layout", unknown.source)
    assert code == 1 and "expected soak_test_leaderboard.json" in out


def test_config_json_must_agree(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.add_run(RUN)
    cfg = samples.run_config(RUN) | {"backend": "cuda", "run_id": "short_20260128_002"}
    bench.write("outputs/cpu/gpt2/short_20260128_001/config.json", cfg)
    code, out, _ = run_cli(capsys, "layout", RUN.source)
    assert code == 1
    assert "says backend 'cuda' but the path says 'cpu'" in out
    assert "says run_id 'short_20260128_002' but the path says 'short_20260128_001'" in out


@pytest.mark.parametrize("command", [["layout", RUN.source], ["check"]])
def test_an_oversized_config_json_is_named_by_every_check(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """A config.json over 1 MiB is one problem for the hook and for CI alike (the hook used
    to skip it quietly), whatever max_file_size says."""
    bench.write(".benchsync.toml", "max_file_size = 20000\n")
    bench.add_run(RUN)
    cfg = samples.run_config(RUN) | {"padding": "x" * (1024 * 1024)}
    bench.write("outputs/cpu/gpt2/short_20260128_001/config.json", cfg)
    bench.stage()
    code, out, _ = run_cli(capsys, *command)
    assert code == 1
    assert (
        f"{RUN.source}: config-json outputs/cpu/gpt2/short_20260128_001/config.json is over "
        "1,048,576 bytes; fix it"
    ) in out.splitlines()


def test_stray_gets_git_mv(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    stray = "outputs/exp1_gpt2_short/short_input_leaderboard.json"
    bench.write(stray, samples.result(RUN))
    bench.write("outputs/exp1_gpt2_short/config.json", samples.run_config(RUN))
    code, out, _ = run_cli(capsys, "layout", stray)
    assert code == 1
    fix = f"move it: mkdir -p outputs/cpu/gpt2/short_20260128_001 && git mv {stray} {RUN.source}"
    assert fix in out
    bench.git("add", "-A")
    (bench.root / "outputs/cpu/gpt2/short_20260128_001").mkdir(parents=True)
    bench.git("mv", stray, RUN.source)
    bench.git("mv", "outputs/exp1_gpt2_short/config.json", "outputs/cpu/gpt2/short_20260128_001/")
    assert run_cli(capsys, "layout", RUN.source)[:2] == (0, "")


# (a path spelled another way, with no config.json beside it; the move its line gives)
LOOSE_PATHS = [
    ("outputs/CPU/gpt2/short_2026-01-28_1/short_input_leaderboard.json", RUN.source),
    ("outputs/cpu/gpt2/Short-20260128-01/short_input_leaderboard.json", RUN.source),
]


@pytest.mark.parametrize(("loose", "dest"), LOOSE_PATHS, ids=["backend and date", "run folder"])
def test_a_path_spelled_another_way_gets_its_git_mv(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], loose: str, dest: str
) -> None:
    bench.write(loose, samples.result(RUN))
    code, out, _ = run_cli(capsys, "layout", loose)
    assert code == 1
    folder = dest.rpartition("/")[0]
    assert f"move it: mkdir -p {folder} && git mv {loose} {dest}" in out
    bench.git("add", "-A")
    (bench.root / folder).mkdir(parents=True)
    bench.git("mv", loose, dest)
    assert run_cli(capsys, "layout", dest)[:2] == (0, "")


@pytest.mark.parametrize("with_config", [False, True])
def test_an_impossible_run_date_gets_the_day_of_its_submitted_at(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], with_config: bool
) -> None:
    """(submitted_at of the sample is 2026-01-28: the folder's 20260231 is no date)"""
    wrong = samples.Run("cpu", "gpt2", "short", "20260231", 1, "short_input")
    bench.write(wrong.source, samples.result(RUN))
    config = f"{wrong.source.rpartition('/')[0]}/config.json"
    if with_config:
        bench.write(config, samples.run_config(RUN) | {"run_id": wrong.run_id})
    code, out, _ = run_cli(capsys, "layout", wrong.source)
    assert code == 1
    then = f", and {config} with it (its run_id to match)" if with_config else ""
    assert out.splitlines()[0].endswith(
        "is not a real calendar date; move it to "
        "outputs/cpu/gpt2/short_20260128_<NNN>/short_input_leaderboard.json (the day "
        f"metadata.submitted_at gives; <NNN>: the next sequence free that day){then}"
    )
    folder = RUN.source.rpartition("/")[0]  # (001: the first free that day)
    bench.git("add", "-A")
    (bench.root / folder).mkdir(parents=True)
    bench.git("mv", wrong.source, RUN.source)
    if with_config:
        bench.git("mv", config, f"{folder}/config.json")
        bench.write(f"{folder}/config.json", samples.run_config(RUN))
    assert run_cli(capsys, "layout", RUN.source)[:2] == (0, "")


def test_stray_without_config_says_what_is_missing(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = "outputs/long_input_leaderboard.json"
    long_run = samples.Run("cpu", "gpt2", "long", "20260128", 1, "long_input")
    bench.write(stray, samples.result(long_run, model__name="unknown"))
    code, out, _ = run_cli(capsys, "layout", stray)
    assert code == 1
    assert (
        "move it to outputs/<backend>/<model>/long_20260128_<NNN>/long_input_leaderboard.json "
        "(no config.json beside it" in out
    )


def test_entry_id_unique_across_the_index(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.add_run(RUN)
    bench.stage()
    bench.commit()
    other = samples.Run("cpu", "gpt2", "short", "20260128", 2, "short_input")
    same_id = samples.result(RUN)["entry_id"]
    bench.add_run(other, entry_id=same_id)
    code, out, _ = run_cli(capsys, "layout", other.source)
    assert code == 1
    where = _at(bench, other.source, "/entry_id")
    assert f"{where}: entry-id-unique entry_id {same_id} is also used by {RUN.source}" in out
    # the committed file is not passed, so it is not reported on
    assert not any(line.startswith(RUN.source) for line in out.splitlines())


def test_case_colliding_targets(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    upper = samples.Run("cpu", "GPT2", "short", "20260128", 1, "short_input")
    bench.add_run(RUN)
    bench.stage()
    bench.add_run(upper, entry_id="00000000-0000-4000-8000-000000000001")
    code, out, _ = run_cli(capsys, "layout", upper.source)
    assert code == 1
    assert "target-unique maps to a target differing only in case" in out


def test_case_colliding_folders(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs of one model spelled in two cases: one folder on macOS, so both are named."""
    upper = samples.Run("cpu", "GPT2", "short", "20260129", 1, "short_input")
    bench.add_run(RUN)
    bench.stage()
    bench.add_run(upper, entry_id="00000000-0000-4000-8000-000000000001")
    bench.stage()
    code, out, _ = run_cli(capsys, "check")
    assert code == 1
    lines = [line for line in out.splitlines() if " target-unique " in line]
    assert [line.split(":")[0] for line in lines] == [upper.source, RUN.source]
    moved = "outputs/cpu/gpt2/short_20260129_001/short_input_leaderboard.json"
    assert lines[0].endswith(
        "target-unique its website folder data/results/cpu/GPT2 differs only in case from "
        f"data/results/cpu/gpt2 ({RUN.source}); use one spelling: mkdir -p "
        f"outputs/cpu/gpt2/short_20260129_001 && git mv {upper.source} {moved}, and set "
        "model.name to 'gpt2'"
    )
    code, out, _ = run_cli(capsys, "layout", upper.source)
    assert code == 1 and f"{upper.source}: target-unique its website folder" in out


def _copy_of_the_first(bench: BenchRepo) -> str:
    """A copy of a published result in a new run folder: the same entry_id."""
    copy = samples.Run("cpu", "gpt2", "short", "20260128", 2, "short_input")
    bench.write(copy.source, (bench.root / RUN.source).read_bytes())
    return copy.source


def _other_case_folder(bench: BenchRepo) -> str:
    """A new run whose model folder differs from the published ones only in case."""
    upper = samples.Run("cpu", "GPT2", "short", "20260130", 1, "short_input")
    bench.add_run(upper, entry_id="00000000-0000-4000-8000-0000000000c1")
    return upper.source


@pytest.mark.parametrize("add", [_copy_of_the_first, _other_case_folder], ids=["copy", "case"])
def test_a_new_clash_never_takes_a_published_result_out_of_the_manifest(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], add: Callable[[BenchRepo], str]
) -> None:
    """A clash between a result already published (in HEAD's manifest) and a new one is the
    new one's alone: the manifest keeps the published results, and CI names only the new."""
    first, second = RUN, samples.Run("cpu", "gpt2", "short", "20260129", 1, "short_input")
    bench.publish(first, second)
    before = [f["source"] for f in bench.manifest()["files"]]
    assert before == [first.source, second.source]
    new = add(bench)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")  # the new result left out, the rest kept
    assert (code, [f["source"] for f in bench.manifest()["files"]]) == (0, before)
    assert f"{new}: manifest-left-out not in the manifest" in out
    bench.stage()
    code, out, _ = run_cli(capsys, "check")
    assert code == 1
    named = {line.split(":")[0] for line in out.splitlines()[:-1]}
    assert named == {new}, out


def test_a_published_result_that_starts_failing_stops_every_commit(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only its config.json changed (no hook checks the result): the manifest hook says the
    published result would leave the manifest, at every run, until it is fixed or removed."""
    bench.publish(RUN)
    config = "outputs/cpu/gpt2/short_20260128_001/config.json"
    bench.write(config, samples.run_config(RUN) | {"backend": "cuda"})
    bench.stage()
    for _attempt in range(2):  # the rewritten manifest staged: still stopped
        code, out, _ = run_cli(capsys, "manifest")
        assert code == 1
        assert (
            f"{RUN.source}: manifest-left-out is published (HEAD's manifest lists it) but now "
            in out
        )
        assert "so it would leave the manifest: fix it" in out
        bench.stage()
    bench.git("rm", "-q", "-r", "-f", "outputs/cpu/gpt2/short_20260128_001")
    assert run_cli(capsys, "manifest")[:2] == (0, "")  # (the staged manifest lacks it)


def test_ignored_source_root(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write(".gitignore", "outputs/\n")
    bench.add_run(RUN)
    code, out, _ = run_cli(capsys, "layout", RUN.source)
    assert code == 1
    assert "layout-ignored is ignored by git (.gitignore:1:outputs/)" in out


def test_real_style_gitignore_keeps_results(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.write("outputs/.gitignore", "*\n!.gitignore\n!*_leaderboard.json\n!config.json\n!*/\n")
    bench.add_run(RUN)
    assert run_cli(capsys, "layout", RUN.source)[:2] == (0, "")


def test_symlinked_result(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("elsewhere/short_input.json", samples.result(RUN))
    link = bench.root / RUN.source
    link.parent.mkdir(parents=True)
    os.symlink(bench.root / "elsewhere/short_input.json", link)
    code, out, _ = run_cli(capsys, "layout", RUN.source)
    assert code == 1
    assert "layout-symlink" in out


def test_symlinked_directory(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("elsewhere/short_20260128_001/short_input_leaderboard.json", samples.result(RUN))
    (bench.root / "outputs/cpu/gpt2").mkdir(parents=True)
    os.symlink(
        bench.root / "elsewhere/short_20260128_001",
        bench.root / "outputs/cpu/gpt2/short_20260128_001",
    )
    code, out, _ = run_cli(capsys, "layout", RUN.source)
    assert code == 1
    assert "outputs/cpu/gpt2/short_20260128_001 is a symbolic link" in out


def test_outside_the_repository(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], tmp_path: os.PathLike[str]
) -> None:
    outside = os.path.join(tmp_path, "x_leaderboard.json")
    with open(outside, "w", encoding="utf-8") as handle:
        handle.write("{}")
    code, out, _ = run_cli(capsys, "layout", outside)
    assert code == 1
    assert "layout-outside-repo" in out


def test_exclude_patterns(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("docs/example_leaderboard.json", samples.result(RUN))
    code, _out, _ = run_cli(capsys, "layout", "docs/example_leaderboard.json")
    assert code == 1
    bench.write("pyproject.toml", '[tool.benchsync]\nexclude = ["docs/"]\n')
    assert run_cli(capsys, "layout", "docs/example_leaderboard.json")[:2] == (0, "")


def test_layout_outside_git_is_exit_2(
    tmp_path: os.PathLike[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "layout", "x_leaderboard.json")
    assert code == 2
    assert out == ""
    assert err.startswith("benchsync layout: ") and "not inside a git repository" in err
    assert len(err.splitlines()) == 1


def _garbage_state(bench: BenchRepo) -> None:
    folder = bench.root / ".git/benchsync"
    folder.mkdir(exist_ok=True)
    (folder / "cache-v2.jsonl").write_bytes(os.urandom(256))
    (folder / "manifest-memo-v3.tsv").write_text(f"{RUN.source}\t{'0' * 40}\tvalid\n")


def _result_changed_since(bench: BenchRepo) -> None:
    """RUN gets another entry_id after the manifest was staged: its blob id no longer is
    the one the manifest lists, so that entry is not used and the file itself is read."""
    bench.add_run(RUN, seed=1)
    bench.stage()


@pytest.mark.parametrize(
    ("case", "before"),
    [
        ("the staged manifest answers", lambda bench: None),
        ("garbage in .git/benchsync", _garbage_state),
        ("no manifest staged", lambda bench: bench.git("rm", "-q", "-f", "--cached", MANIFEST)),
        ("other rules", lambda bench: bench.write(".benchsync.toml", "date_tolerance_days = 2\n")),
        ("the result changed since", _result_changed_since),
    ],
)
def test_uniqueness_against_every_result_in_the_index(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], case: str, before: Any
) -> None:
    """Files that were not passed count for uniqueness, known from the staged manifest where
    it still holds for them and read from the index otherwise; nothing else is consulted."""
    bench.add_run(RUN)
    bench.stage()
    run_cli(capsys, "manifest")
    bench.git("add", MANIFEST)
    before(bench)
    same_id = samples.result(RUN, seed=1 if "changed" in case else 0)["entry_id"]
    other = samples.Run("cpu", "gpt2", "short", "20260128", 2, "short_input")
    bench.add_run(other, entry_id=same_id)
    code, out, _ = run_cli(capsys, "layout", other.source)
    assert code == 1, case
    where = _at(bench, other.source, "/entry_id")
    assert f"{where}: entry-id-unique entry_id {same_id} is also used by {RUN.source}" in out
    assert not any(line.startswith(RUN.source) for line in out.splitlines())
    bench.stage()
    code, out, _ = run_cli(capsys, "check")
    assert code == 1, case
    assert f"{_at(bench, RUN.source, '/entry_id')}: entry-id-unique" in out, out


def test_a_file_named_twice_is_checked_once(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same file under two names (relative, ./, absolute) is one file: not two
    sharing one entry_id and one target."""
    bench.add_run(RUN)
    names = (RUN.source, f"./{RUN.source}", str(bench.root / RUN.source))
    assert run_cli(capsys, "layout", *names)[:2] == (0, "")


def test_a_repository_reached_through_a_linked_folder(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], tmp_path: os.PathLike[str]
) -> None:
    """A result named by an absolute path through a link above the repository (macOS's
    /tmp is /private/tmp; a shell's $PWD keeps the link) is inside it; a link below the
    repository's root is still refused."""
    bench.add_run(RUN)
    link = os.path.join(tmp_path, "linked")
    os.symlink(bench.root, link)
    assert run_cli(capsys, "layout", os.path.join(link, RUN.source))[:2] == (0, "")
    os.symlink(bench.root / "outputs/cpu", bench.root / "outputs/cpu-link")
    through = os.path.join(link, RUN.source.replace("/cpu/", "/cpu-link/"))
    code, out, _ = run_cli(capsys, "layout", through)
    assert (code, out.splitlines()[0]) == (
        1,
        f"{RUN.source.replace('/cpu/', '/cpu-link/')}: layout-symlink outputs/cpu-link is a "
        "symbolic link; results must be regular files inside the repository",
    )


def test_the_git_mv_of_a_path_with_a_space_can_be_pasted(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line's command is quoted for a shell: pasted as it is, it moves the file."""
    stray = "outputs/my run/short_input_leaderboard.json"
    bench.write(stray, samples.result(RUN))
    bench.write("outputs/my run/config.json", samples.run_config(RUN))
    bench.git("add", "-A")
    code, out, _ = run_cli(capsys, "layout", stray)
    assert code == 1
    command = out.split("move it: ", 1)[1].splitlines()[0]
    assert command == (
        "mkdir -p outputs/cpu/gpt2/short_20260128_001 && "
        f"git mv 'outputs/my run/short_input_leaderboard.json' {RUN.source}"
    )
    subprocess.run(["sh", "-c", command], cwd=bench.root, check=True)
    assert (bench.root / RUN.source).is_file()


MOVED = samples.Run("cpu", "gpt2", "short", "20260128", 7, "short_input")


def _move(bench: BenchRepo) -> None:
    """A published run folder moved (its config.json too, rewritten for the new folder)."""
    old = RUN.source.rpartition("/")[0]
    bench.git("mv", old, MOVED.source.rpartition("/")[0])
    bench.write(f"{MOVED.source.rpartition('/')[0]}/config.json", samples.run_config(MOVED))
    bench.stage()


def _copy(bench: BenchRepo) -> None:
    bench.add_run(MOVED, entry_id=samples.result(RUN)["entry_id"])
    bench.stage()


def _move_with_a_new_id(bench: BenchRepo) -> None:
    _move(bench)
    bench.add_run(MOVED, entry_id="00000000-0000-4000-8000-0000000000aa")
    bench.stage()


def _move_after_a_compact_manifest(bench: BenchRepo) -> None:
    """HEAD's manifest written compact (by hand, past the hooks): still read."""
    manifest = bench.manifest()
    bench.write("outputs/sync-manifest.json", json.dumps(manifest, separators=(",", ":")))
    bench.stage()
    bench.commit("a compact manifest")
    _move(bench)


def _move_before_publishing(bench: BenchRepo) -> None:
    bench.git("rm", "-q", "--cached", "outputs/sync-manifest.json")
    bench.commit("no manifest yet")
    _move(bench)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (_move, "result-moved"),
        (_move_after_a_compact_manifest, "result-moved"),
        (_copy, "entry-id-unique"),
        (_move_with_a_new_id, None),
        (_move_before_publishing, None),
    ],
    ids=["moved", "moved, compact manifest", "copied", "moved, new entry_id", "never published"],
)
def test_a_published_result_that_moved_is_stopped_with_its_way_back(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[BenchRepo], None],
    rule: str | None,
) -> None:
    """The website keeps every synced result: a moved one would clash with its old copy
    there (issue: what passes the hooks must pass the website)."""
    bench.publish(RUN)
    change(bench)
    code, out, _err = run_cli(capsys, "layout", str(bench.root / MOVED.source))
    if rule is None:
        assert (code, out) == (0, "")
        return
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{MOVED.source}:") and f" {rule} " in first
    if rule == "result-moved":
        entry_id = samples.result(RUN)["entry_id"]
        old, new = RUN.source.rpartition("/")[0], MOVED.source.rpartition("/")[0]
        assert first.endswith(
            f" result-moved entry_id {entry_id} is published from {RUN.source} (HEAD's "
            f"manifest), which is gone: the website keeps {RUN.target}, so this copy would "
            f"clash with it there; move it back (git mv {new} {old}), or give it a new "
            "entry_id if it is a new result"
        )
        line = first.split(":")[1]
        assert (
            samples.dumps(samples.result(RUN))
            .splitlines()[int(line) - 1]
            .strip()
            .startswith('"entry_id"')
        )


@pytest.mark.parametrize(
    ("breaks", "fails", "see"),
    [
        (
            lambda b: b.write(RUN.source, samples.dumps(samples.result(RUN))[:-3] + "NaN}\n"),
            "json-syntax",
            f"'benchsync schema {RUN.source}'",
        ),
        (
            lambda b: b.write(
                "outputs/cpu/gpt2/short_20260128_001/config.json",
                samples.run_config(RUN) | {"backend": "cuda"},
            ),
            "config-json",
            f"'benchsync layout {RUN.source}'",
        ),
        (
            lambda b: (
                b.write(RUN.source, samples.result(RUN, metrics__error_rate=3)),
                b.write(
                    "outputs/cpu/gpt2/short_20260128_001/config.json",
                    samples.run_config(RUN) | {"backend": "cuda"},
                ),
            ),
            "config-json, schema-maximum",
            f"'benchsync schema {RUN.source}' and 'benchsync layout {RUN.source}'",
        ),
    ],
    ids=["schema", "layout", "both"],
)
def test_a_dropped_published_result_names_the_command_that_shows_why(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    breaks: Callable[[BenchRepo], object],
    fails: str,
    see: str,
) -> None:
    bench.publish(RUN)
    breaks(bench)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert (
        f"{RUN.source}: manifest-left-out is published (HEAD's manifest lists it) but now fails "
        f"{fails}, so it would leave the manifest: fix it (see {see}), or git rm it to stop "
        "syncing it\n"
    ) in out
    assert out.splitlines()[-1] == (
        "1 published result would leave the manifest: fix it or git rm it, then commit again"
    )
    assert "git add" not in out  # (the manifest written leaves it out: no fix to stage)


@pytest.mark.parametrize(
    ("now", "was", "back"),
    [
        (
            "outputs/c/m/r_20260101_002/a_leaderboard.json",
            "outputs/c/m/r_20260101_001/a_leaderboard.json",
            "git mv outputs/c/m/r_20260101_002 outputs/c/m/r_20260101_001",
        ),
        (
            "outputs/c/m/r_20260101_001/b_leaderboard.json",
            "outputs/c/m/r_20260101_001/a_leaderboard.json",
            "git mv outputs/c/m/r_20260101_001/b_leaderboard.json "
            "outputs/c/m/r_20260101_001/a_leaderboard.json",
        ),
    ],
    ids=["folder", "file in its folder"],
)
def test_the_way_back_moves_the_folder_or_the_file(now: str, was: str, back: str) -> None:
    from benchsync_hooks.bench.moved import _way_back

    assert _way_back(now, was) == back
