"""`benchsync manifest`: built from the git index, deterministic, validated."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import RUN, BenchRepo, git, init_repo, run_cli

from benchsync_hooks import samples
from benchsync_hooks.errors import IntegrityError
from benchsync_hooks.manifest import parse
from benchsync_hooks.schema import bundled_schema

MANIFEST = "outputs/sync-manifest.json"
RUN2 = samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "long_input")


def _sources(bench: BenchRepo) -> list[str]:
    return [f["source"] for f in bench.manifest()["files"]]


def test_written_then_unchanged(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.add_run(RUN)
    bench.add_run(RUN2)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert (code, out) == (1, f"manifest updated: git add {MANIFEST}\n")
    first = (bench.root / MANIFEST).read_bytes()
    code, out, _ = run_cli(capsys, "manifest")
    assert (code, out) == (0, "")
    assert (bench.root / MANIFEST).read_bytes() == first
    doc = json.loads(first)
    assert doc["format"] == "benchsync-manifest/v1"
    assert [f["source"] for f in doc["files"]] == sorted([RUN.source, RUN2.source])
    entry = next(f for f in doc["files"] if f["source"] == RUN.source)
    data = (bench.root / RUN.source).read_bytes()
    assert entry == {
        "source": RUN.source,
        "target": RUN.target,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "entry_id": samples.result(RUN)["entry_id"],
        "backend": "cpu",
        "model": "gpt2",
        "run_id": "short_20260128_001",
    }
    assert first.endswith(b"}\n") and b'\n  "files": [\n' in first


def test_written_manifest_validates_against_its_schema(bench: BenchRepo) -> None:
    from jsonschema import Draft7Validator

    bench.add_run(RUN)
    bench.add_run(RUN2)
    bench.stage()
    from benchsync_hooks.cli import main

    main(["manifest"])
    Draft7Validator(bundled_schema("manifest-v1.json")).validate(bench.manifest())
    loaded = parse((bench.root / MANIFEST).read_bytes(), MANIFEST)
    assert [f.source for f in loaded.files] == sorted([RUN.source, RUN2.source])


def test_index_not_working_tree(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.add_run(RUN)
    bench.stage()
    staged = (bench.root / RUN.source).read_bytes()
    bench.write(RUN.source, samples.result(RUN, metrics__ttft_ms=1.0))  # not staged
    bench.add_run(RUN2)  # untracked
    run_cli(capsys, "manifest")
    [entry] = bench.manifest()["files"]
    assert entry["sha256"] == hashlib.sha256(staged).hexdigest()


def test_modify_delete_and_move(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.publish(RUN, RUN2)
    bench.write(RUN.source, samples.result(RUN, metrics__ttft_ms=5.0))
    bench.stage()
    assert run_cli(capsys, "manifest", "--check")[0] == 1
    assert bench.manifest() == json.loads(bench.git("show", f"HEAD:{MANIFEST}"))  # not written
    assert run_cli(capsys, "manifest")[0] == 1
    new_hash = hashlib.sha256((bench.root / RUN.source).read_bytes()).hexdigest()
    entry = next(f for f in bench.manifest()["files"] if f["source"] == RUN.source)
    assert entry["sha256"] == new_hash
    bench.git("rm", "-q", RUN2.source)
    run_cli(capsys, "manifest")
    assert _sources(bench) == [RUN.source]


def test_stray_enters_after_git_mv(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    stray = "outputs/exp1_gpt2_short/short_input_leaderboard.json"
    bench.write(stray, samples.result(RUN))
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{stray}: manifest-left-out not in the manifest: fails layout-shape" in out
    assert bench.manifest()["files"] == []
    (bench.root / "outputs/cpu/gpt2/short_20260128_001").mkdir(parents=True)
    bench.git("mv", stray, RUN.source)
    assert run_cli(capsys, "manifest")[0] == 1
    assert _sources(bench) == [RUN.source]


def test_invalid_file_is_left_out(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.add_run(RUN, metrics__error_rate=2)
    bench.add_run(RUN2)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{RUN.source}: manifest-left-out not in the manifest: fails schema-maximum" in out
    assert _sources(bench) == [RUN2.source]


def test_two_clones_give_identical_bytes(
    bench: BenchRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for run in samples.runs(12):
        bench.add_run(run)
    bench.stage()
    run_cli(capsys, "manifest")
    bench.stage()
    bench.commit()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bench.root), str(clone))
    (clone / MANIFEST).unlink()
    monkeypatch.chdir(clone)
    assert run_cli(capsys, "manifest")[0] == 1
    assert (clone / MANIFEST).read_bytes() == (bench.root / MANIFEST).read_bytes()


def test_cache_avoids_rereading_unchanged_blobs(bench: BenchRepo) -> None:
    from benchsync_hooks import gitrepo
    from benchsync_hooks.context import context_for
    from benchsync_hooks.regen import compute

    for run in samples.runs(9):
        bench.add_run(run)
    bench.stage()
    ctx = context_for()
    repo = gitrepo.open_repo(ctx.root)
    assert compute(ctx, repo).reads == 9
    assert compute(ctx, repo).reads == 0
    one = samples.runs(9)[4]
    bench.write(one.source, samples.result(one, metrics__ttft_ms=3.0))
    bench.stage()
    assert compute(ctx, repo).reads == 1
    shutil.rmtree(bench.root / ".git/benchsync")
    assert compute(ctx, repo).reads == 9


def test_ignored_manifest(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("outputs/.gitignore", "*\n!*_leaderboard.json\n!*/\n")
    bench.add_run(RUN, config=False)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{MANIFEST}: manifest-ignored is ignored by git (outputs/.gitignore:1:*)" in out
    assert "add '!sync-manifest.json' to that .gitignore" in out


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (lambda d: d | {"format": "benchsync-manifest/v2"}, "manifest-schema"),
        (lambda d: d | {"extra": 1}, "manifest-schema"),
        (lambda d: {**d, "files": [d["files"][0] | {"sha256": "ABC"}]}, "64 lower-case hex"),
        (lambda d: {**d, "files": [d["files"][0] | {"target": "../../x.json"}]}, "manifest-schema"),
        (lambda d: {**d, "files": [d["files"][0] | {"target": "/etc/passwd"}]}, "manifest-schema"),
        (lambda d: {**d, "files": [d["files"][0] | {"size": 1 << 40}]}, "above the maximum"),
    ],
)
def test_loading_validates_first(bench: BenchRepo, mutate: object, expect: str) -> None:
    from benchsync_hooks.cli import main

    bench.add_run(RUN)
    bench.stage()
    main(["manifest"])
    doc = bench.manifest()
    assert callable(mutate)
    bad = json.dumps(mutate(doc)).encode()
    with pytest.raises(IntegrityError) as info:
        parse(bad, MANIFEST)
    assert expect in info.value.message
    assert info.value.message.startswith(f"{MANIFEST}:")


def test_manifest_outside_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_cli(capsys, "manifest")
    assert code == 2 and "not inside a git repository" in err


def test_empty_repo_gives_empty_manifest(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "manifest")[0] == 1
    assert bench.manifest()["files"] == []
    assert run_cli(capsys, "manifest")[:2] == (0, "")


def test_init_repo_helper_is_real(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    assert (repo / ".git").is_dir()


def test_render_is_exactly_json_dumps() -> None:
    from benchsync_hooks.config import Config
    from benchsync_hooks.manifest import FORMAT, ManifestFile, render

    config = Config()
    files = [
        ManifestFile(
            run.source,
            run.target,
            "ab" * 32,
            100 + i,
            samples.result(run)["entry_id"],
            run.backend,
            run.model,
            run.run_id,
        )
        for i, run in enumerate(reversed(samples.runs(7)))
    ]
    for chosen in (files, files[:1], []):
        doc = {
            "format": FORMAT,
            "source_root": "outputs",
            "target_root": "data/results",
            "files": [f.to_json() for f in sorted(chosen, key=lambda f: f.source)],
        }
        assert render(chosen, config) == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_memo_gives_the_same_bytes_as_a_fresh_run(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Incremental runs (memo and cache) and a cold run agree, conflicts included."""
    runs = samples.runs(6)
    for run in runs:
        bench.add_run(run)
    bench.stage()
    run_cli(capsys, "manifest")
    clash = samples.Run("cpu", "gpt2", "short", "20260128", 9, "short_input")
    bench.add_run(clash, entry_id=samples.result(runs[0])["entry_id"])
    bench.write(runs[2].source, samples.result(runs[2], metrics__ttft_ms=2.5))
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{runs[0].source}: manifest-left-out not in the manifest: fails entry-id-unique" in out
    assert f"{clash.source}: manifest-left-out" in out
    incremental = (bench.root / MANIFEST).read_bytes()
    shutil.rmtree(bench.root / ".git/benchsync")
    (bench.root / MANIFEST).unlink()
    run_cli(capsys, "manifest")
    assert (bench.root / MANIFEST).read_bytes() == incremental
    assert runs[0].source not in _sources(bench)


def test_small_change_is_spliced_into_the_last_manifest(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchsync_hooks import regen as command

    taken: list[bool] = []
    real = command._splice

    def spy(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        taken.append(result is not None)
        return result

    monkeypatch.setattr(command, "_splice", spy)
    runs = samples.runs(9)
    for run in runs[:6]:
        bench.add_run(run)
    bench.stage()
    run_cli(capsys, "manifest")
    steps = [
        lambda: bench.write(runs[2].source, samples.result(runs[2], seed=5)),  # modified
        lambda: bench.add_run(runs[7], config=False),  # added in the middle of the order
        lambda: bench.git("rm", "-q", "-f", runs[0].source),  # removed first
        lambda: bench.git("rm", "-q", "-f", runs[5].source),  # removed last
    ]
    for step in steps:
        step()
        bench.stage()
        run_cli(capsys, "manifest")
        spliced = (bench.root / MANIFEST).read_bytes()
        shutil.move(str(bench.root / ".git/benchsync"), str(bench.root / ".git/saved"))
        run_cli(capsys, "manifest")
        assert (bench.root / MANIFEST).read_bytes() == spliced
        shutil.rmtree(bench.root / ".git/benchsync")
        shutil.move(str(bench.root / ".git/saved"), str(bench.root / ".git/benchsync"))
    assert taken[-4:] == [True, True, True, True]
    assert sorted(_sources(bench)) == sorted(
        r.source for r in (runs[1], runs[2], runs[3], runs[4], runs[7])
    )


def test_oversized_blob_is_left_out_unread(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.add_run(RUN2)
    bench.write(RUN.source, b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}')
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{RUN.source}: manifest-left-out not in the manifest: fails json-size" in out
    assert _sources(bench) == [RUN2.source]
    code, out, _ = run_cli(capsys, "check")
    assert code == 1 and "json-size file is 3.0 MiB, over the 1.0 MiB limit" in out
