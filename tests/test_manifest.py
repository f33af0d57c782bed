"""`benchsync manifest`: built from the git index, deterministic, validated."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN, BenchRepo, blob_id, canonical_bytes, git, init_repo, run_cli

from benchsync_hooks import samples
from benchsync_hooks.bench.reading import load
from benchsync_hooks.check.schema import bundled_schema
from benchsync_hooks.errors import IntegrityError

MANIFEST = "outputs/sync-manifest.json"
RUN2 = samples.Run("cuda", "Qwen2.5-0.5B", "m1", "20260130", 1, "long_input")


def _sources(bench: BenchRepo) -> list[str]:
    return [f["source"] for f in bench.manifest()["files"]]


def test_written_then_unchanged(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.add_run(RUN)
    bench.add_run(RUN2, config=False)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert (code, out) == (1, f"manifest updated: git add {MANIFEST}\n")
    first = (bench.root / MANIFEST).read_bytes()
    code, out, _ = run_cli(capsys, "manifest")  # current on disk, but the commit would miss it
    assert (code, out) == (1, f"manifest is current but not staged: git add {MANIFEST}\n")
    bench.stage(MANIFEST)
    code, out, _ = run_cli(capsys, "manifest")
    assert (code, out) == (0, "")
    assert (bench.root / MANIFEST).read_bytes() == first
    doc = json.loads(first)
    assert list(doc) == ["format", "source_root", "target_root", "rules", "files"]
    assert doc["format"] == "benchsync-manifest/v2"
    assert len(doc["rules"]) == 16 and set(doc["rules"]) <= set("0123456789abcdef")
    assert [f["source"] for f in doc["files"]] == sorted([RUN.source, RUN2.source])
    entry = next(f for f in doc["files"] if f["source"] == RUN.source)
    data = (bench.root / RUN.source).read_bytes()
    config_json = (bench.root / RUN.source).parent / "config.json"
    assert entry == {
        "source": RUN.source,
        "target": RUN.target,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "blob": bench.git("rev-parse", f":{RUN.source}").strip(),
        "config_blob": blob_id(config_json.read_bytes()),
        "target_blob": blob_id(canonical_bytes(data)),
        "entry_id": samples.result(RUN)["entry_id"],
        "backend": "cpu",
        "model": "gpt2",
        "run_id": "short_20260128_001",
    }
    assert list(entry) == [
        "source",
        "target",
        "sha256",
        "size",
        "blob",
        "config_blob",
        "target_blob",
        "entry_id",
        "backend",
        "model",
        "run_id",
    ]
    other = next(f for f in doc["files"] if f["source"] == RUN2.source)
    assert other["config_blob"] is None  # no config.json beside it
    assert first.endswith(b"}\n") and b'\n  "files": [\n' in first


def test_written_manifest_validates_against_its_schema(bench: BenchRepo) -> None:
    from jsonschema import Draft7Validator

    bench.add_run(RUN)
    bench.add_run(RUN2)
    bench.stage()
    from benchsync_hooks.cli import main

    main(["manifest"])
    Draft7Validator(bundled_schema("manifest-v2.json")).validate(bench.manifest())
    loaded, _text = load((bench.root / MANIFEST).read_bytes(), MANIFEST)
    assert loaded.format == "benchsync-manifest/v2"
    assert loaded.rules == bench.manifest()["rules"]
    assert [f.source for f in loaded.files] == sorted([RUN.source, RUN2.source])
    assert [f.blob for f in loaded.files] == [
        bench.git("rev-parse", f":{f.source}").strip() for f in loaded.files
    ]


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


def _reads(bench: BenchRepo, *, cold: bool = False) -> int:
    """How many result blobs one manifest computation reads and checks."""
    from benchsync_hooks.bench.regen import compute
    from benchsync_hooks.context import context_for
    from benchsync_hooks.git import open_repo

    ctx = context_for(bench.root)
    repo = open_repo(ctx.root)
    try:
        return compute(ctx, repo, cold=cold).reads
    finally:
        repo.close()


def _manifest_staged(bench: BenchRepo) -> None:
    bench.git("add", MANIFEST)


NINE = samples.runs(9)


def _edit(n: int) -> Callable[[BenchRepo], None]:
    def edit(bench: BenchRepo) -> None:
        bench.write(NINE[n].source, samples.result(NINE[n], metrics__ttft_ms=3.0))
        bench.stage()

    return edit


def _edit_config(bench: BenchRepo) -> None:
    path = str(Path(NINE[2].source).parent / "config.json")
    bench.write(path, samples.run_config(NINE[2]) | {"note": "rerun"})
    bench.stage()


def _settings(text: str) -> Callable[[BenchRepo], None]:
    return lambda bench: bench.write(".benchsync.toml", text)


def _state_folder_garbage(bench: BenchRepo) -> None:
    folder = bench.root / ".git/benchsync"
    folder.mkdir(exist_ok=True)
    for name in ("cache-v2.jsonl", "manifest-memo-v3.tsv", "manifest-state-v1.txt"):
        (folder / name).write_bytes(os.urandom(512))


def _manifest_edited_in_the_index(bench: BenchRepo) -> None:
    doc = bench.manifest()
    doc["rules"] = "0" * 16
    bench.write(MANIFEST, json.dumps(doc, indent=2) + "\n")
    _manifest_staged(bench)


def _manifest_unstaged_only(bench: BenchRepo) -> None:
    bench.git("rm", "-q", "-f", "--cached", MANIFEST)


# (case, what happens after the manifest of NINE is written and staged, blobs read next time)
MEMORY: list[tuple[str, Callable[[BenchRepo], None], int]] = [
    ("nothing changed", lambda bench: None, 0),
    ("one result changed", _edit(4), 1),
    ("two results changed", lambda bench: (_edit(1)(bench), _edit(7)(bench)), 2),
    ("a config.json beside one changed", _edit_config, 1),
    ("one result removed", lambda bench: bench.git("rm", "-q", "-f", NINE[0].source), 0),
    ("one result added", lambda bench: (bench.add_run(samples.runs(10)[9]), bench.stage()), 1),
    ("garbage in .git/benchsync", _state_folder_garbage, 0),
    ("a rule setting changed", _settings("date_tolerance_days = 3\n"), 9),
    ("a rule disabled", _settings('disable = ["format-date"]\n'), 9),
    ("arrays allowed: no memory", _settings('disable = ["layout-single-result"]\n'), 9),
    ("a setting that decides no verdict", _settings('pr_title = "Sync"\n'), 0),
    ("the manifest only in the work tree", _manifest_unstaged_only, 9),
    ("the manifest in the index from other rules", _manifest_edited_in_the_index, 9),
]


@pytest.mark.parametrize(("case", "change", "reads"), MEMORY, ids=[m[0] for m in MEMORY])
def test_the_manifest_in_the_index_is_the_memory(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[BenchRepo], None],
    reads: int,
) -> None:
    """Entries of the staged manifest are reused while blob, config.json blob and rules
    digest hold; everything else is read. Nothing else is remembered, and the bytes written
    are those of a cold run whatever was reused."""
    for run in NINE:
        bench.add_run(run)
    bench.stage()
    assert _reads(bench) == 9  # no manifest in the index yet
    run_cli(capsys, "manifest")
    assert _reads(bench) == 9  # written, not staged: not yet a memory
    _manifest_staged(bench)
    assert _reads(bench) == 0
    change(bench)
    assert _reads(bench) == reads, case
    assert _reads(bench, cold=True) == len(bench.git("ls-files", "*_leaderboard.json").split())
    from benchsync_hooks.bench.regen import compute
    from benchsync_hooks.context import context_for
    from benchsync_hooks.git import open_repo

    ctx = context_for(bench.root)
    repo = open_repo(ctx.root)
    warm, cold = compute(ctx, repo), compute(ctx, repo, cold=True)
    repo.close()
    assert warm.data == cold.data, case
    assert warm.problems == cold.problems


def test_ignored_manifest(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("outputs/.gitignore", "*\n!*_leaderboard.json\n!*/\n")
    bench.add_run(RUN, config=False)
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{MANIFEST}: manifest-ignored is ignored by git (outputs/.gitignore:1:*)" in out
    assert f"add '!sync-manifest.json' to outputs/.gitignore, then git add {MANIFEST}" in out
    assert run_cli(capsys, "manifest")[0] == 1  # still ignored: still failing


def _entry(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: {**d, "files": [d["files"][0] | changes]}


LOAD_ERRORS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    (
        "format of a later version",
        lambda d: d | {"format": "benchsync-manifest/v3"},
        "manifest-format",
    ),
    ("format missing", lambda d: {k: v for k, v in d.items() if k != "format"}, "manifest-format"),
    ("v1 with v2 fields", lambda d: d | {"format": "benchsync-manifest/v1"}, "manifest-schema"),
    ("not an object", lambda d: [d], "manifest-schema"),
    ("extra key", lambda d: d | {"extra": 1}, "manifest-schema"),
    ("rules missing", lambda d: {k: v for k, v in d.items() if k != "rules"}, "manifest-schema"),
    ("sha256 upper case", _entry(sha256="ABC"), "64 lower-case hex"),
    ("blob not hex", _entry(blob="xyz"), "manifest-schema"),
    ("config_blob a number", _entry(config_blob=7), "manifest-schema"),
    ("target with ..", _entry(target="../../x.json"), "manifest-schema"),
    ("absolute target", _entry(target="/etc/passwd"), "manifest-schema"),
    ("size of a terabyte", _entry(size=1 << 40), "above the maximum"),
]


@pytest.mark.parametrize(("case", "mutate", "expect"), LOAD_ERRORS, ids=[c[0] for c in LOAD_ERRORS])
def test_loading_validates_first(
    bench: BenchRepo, case: str, mutate: Callable[[dict[str, Any]], Any], expect: str
) -> None:
    from benchsync_hooks.cli import main

    bench.add_run(RUN)
    bench.stage()
    main(["manifest"])
    doc = bench.manifest()
    load(json.dumps(doc).encode(), MANIFEST)  # the unmutated document loads
    bad = json.dumps(mutate(doc)).encode()
    with pytest.raises(IntegrityError) as info:
        load(bad, MANIFEST)
    assert expect in info.value.message, case
    assert info.value.message.startswith(f"{MANIFEST}:")
    assert info.value.exit_code == 1


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
    bench.stage()
    assert run_cli(capsys, "manifest")[:2] == (0, "")


# A machine's own git configuration (a developer's ~/.gitconfig, a CI image) that would
# change what the tests' repositories are if init_repo did not pin it down.
MACHINE_GIT_CONFIG = [
    ("default branch master", "[init]\n\tdefaultBranch = master\n"),
    ("signed commits, no gpg", "[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n"),
    ("no identity", "[user]\n\tuseConfigOnly = true\n"),
]


@pytest.mark.parametrize(
    "config", [c for _, c in MACHINE_GIT_CONFIG], ids=[i for i, _ in MACHINE_GIT_CONFIG]
)
def test_init_repo_is_a_repository_of_its_own_on_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    """Every test's repositories come from init_repo: each is its own repository (not a folder
    of an enclosing one), on main, and commits whatever the machine's git configuration says."""
    (tmp_path / "gitconfig").write_text(config)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(key, raising=False)
    outer = init_repo(tmp_path / "outer")
    repo = init_repo(outer / "inner")
    assert Path(git(repo, "rev-parse", "--show-toplevel").strip()) == repo.resolve()
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "first")
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo, "log", "-1", "--format=%ae %G?").strip() == "test@benchsync.invalid N"
    assert git(outer, "rev-list", "--all").strip() == ""  # the commit did not land outside


def test_render_is_exactly_json_dumps() -> None:
    from benchsync_hooks.bench.manifest import FORMAT, ManifestFile, render
    from benchsync_hooks.config import Config

    config = Config()
    files = [
        ManifestFile(
            source=run.source,
            target=run.target,
            sha256="ab" * 32,
            size=100 + i,
            blob=f"{i:040x}",
            config_blob=None if i % 3 == 0 else f"{i + 100:040x}",
            target_blob=f"{i + 200:040x}",
            entry_id=samples.result(run)["entry_id"],
            backend=run.backend,
            model=run.model,
            run_id=run.run_id,
        )
        for i, run in enumerate(reversed(samples.runs(7)))
    ]
    for chosen in (files, files[:1], []):
        doc = {
            "format": FORMAT,
            "source_root": "outputs",
            "target_root": "data/results",
            "rules": "0123456789abcdef",
            "files": [f._asdict() for f in sorted(chosen, key=lambda f: f.source)],
        }
        expected = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        assert render(chosen, config=config, rules="0123456789abcdef") == expected
        loaded, _text = load(expected.encode(), MANIFEST)
        assert list(loaded.files) == sorted(chosen, key=lambda f: f.source)


def test_memory_gives_the_same_bytes_as_a_cold_run(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that reuses the staged manifest and a cold one agree, conflicts included:
    uniqueness is judged over every result each time."""
    runs = samples.runs(6)
    for run in runs:
        bench.add_run(run)
    bench.stage()
    run_cli(capsys, "manifest")
    _manifest_staged(bench)
    clash = samples.Run("cpu", "gpt2", "short", "20260128", 9, "short_input")
    bench.add_run(clash, entry_id=samples.result(runs[0])["entry_id"])
    bench.write(runs[2].source, samples.result(runs[2], metrics__ttft_ms=2.5))
    bench.stage()
    code, out, _ = run_cli(capsys, "manifest")
    assert code == 1
    assert f"{runs[0].source}: manifest-left-out not in the manifest: fails entry-id-unique" in out
    assert f"{clash.source}: manifest-left-out" in out
    warm = (bench.root / MANIFEST).read_bytes()
    assert runs[0].source not in _sources(bench)
    bench.git("rm", "-q", "-f", "--cached", MANIFEST)  # no memory at all
    (bench.root / MANIFEST).unlink()
    run_cli(capsys, "manifest")
    assert (bench.root / MANIFEST).read_bytes() == warm
    _manifest_staged(bench)
    code, out, _ = run_cli(capsys, "check")  # cold: the clash fails, the manifest is current
    assert code == 1 and "entry-id-unique" in out and "manifest-stale" not in out, out


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


# (case, bytes in the staged manifest, what replaces them)
HAND_EDITS: list[tuple[str, bytes, bytes]] = [
    ("escaped model", b'"model": "gpt2"', b'"model": "\\u0067pt2"'),
    ("escaped entry_id", b'"entry_id": "', b'"entry_id": "\\u0030'),
    ("extra key", b'"run_id": "short_20260128_001"\n', b'"run_id": "short_20260128_001", "x": 1\n'),
    ("other indent", b'\n      "size": ', b'\n        "size": '),
    ("blob upper case", b'"blob": "', b'"blob": "A'),
    (
        "keys swapped",
        b'"backend": "cpu",\n      "model": "gpt2"',
        b'"model": "gpt2",\n      "backend": "cpu"',
    ),
]


@pytest.mark.parametrize(("case", "old", "new"), HAND_EDITS, ids=[h[0] for h in HAND_EDITS])
def test_a_hand_edited_staged_manifest_is_rewritten(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], case: str, old: bytes, new: bytes
) -> None:
    """The staged manifest is reused only where its text is what benchsync writes: an entry
    edited by hand is never copied into the new manifest."""
    bench.publish(RUN, RUN2)
    path = bench.root / MANIFEST
    written = path.read_bytes()
    assert old in written
    path.write_bytes(written.replace(old, new, 1))
    _manifest_staged(bench)
    code, out, _ = run_cli(capsys, "manifest")
    assert (code, out) == (1, f"manifest updated: git add {MANIFEST}\n"), case
    assert path.read_bytes() == written


@pytest.mark.parametrize(
    ("umask", "before", "after"), [(0o022, None, 0o644), (0o002, 0o664, 0o664)]
)
def test_the_manifest_keeps_the_mode_a_file_would_have(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    umask: int,
    before: int | None,
    after: int,
) -> None:
    """(the temporary file it is renamed from is made 0600)"""
    manifest = bench.root / "outputs/sync-manifest.json"
    if before is not None:
        bench.publish(RUN)
        manifest.chmod(before)
        bench.add_run(RUN2)
        bench.stage()
    else:
        bench.add_run(RUN)
        bench.stage()
    old = os.umask(umask)
    try:
        assert run_cli(capsys, "manifest")[0] == 1  # written
    finally:
        os.umask(old)
    assert manifest.stat().st_mode & 0o777 == after
