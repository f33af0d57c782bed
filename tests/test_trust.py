"""Leaks, injection and website states the sync must refuse (or handle) with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BRANCH, RUNS, Pair, git, run_cli

from benchsync_hooks import samples

SECRET = "ghs_s3cretT0kenValue"


def _everything_under(root: Path) -> bytes:
    found = b""
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found += path.read_bytes()
    return found


def test_a_token_in_the_source_url_is_never_shown_or_stored(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(*RUNS[:2])
    url = f"file://x-access-token:{SECRET}@localhost{pair.bench.root}"
    code, out, err = run_cli(capsys, "apply", "--source", url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["source"]["repo"] == f"file://localhost{pair.bench.root}"
    assert len(report["new"]) == 2
    log = git(pair.site, "log", "-1", "--format=%B", "benchsync/sync-results")
    assert f"Benchsync-Source: file://localhost{pair.bench.root}" in log
    for where in (out, err, log, git(pair.site, "reflog", "--all"), git(pair.site, "config", "-l")):
        assert SECRET not in where
    assert SECRET.encode() not in _everything_under(pair.site / ".git")
    assert SECRET.encode() not in _everything_under(pair.site / "data")


def test_a_token_in_an_unreachable_url_is_not_printed(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"file://x-access-token:{SECRET}@localhost{pair.site.parent}/missing.git"
    code, out, err = run_cli(capsys, "apply", "--source", url)
    assert code == 2
    assert SECRET not in out + err
    assert err.count("\n") == 1
    assert "does not appear to be a git repository" in err
    assert SECRET.encode() not in _everything_under(pair.site / ".git")


@pytest.mark.parametrize("remote", ["--upload-pack=touch pwned", "-oops", ""])
def test_a_remote_that_looks_like_an_option_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str], remote: str
) -> None:
    pair.publish(RUNS[0])
    before = pair.snapshot()
    code, _out, err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), "--push", f"--remote={remote}"
    )
    assert code == 2
    assert err == (
        f"benchsync apply: --remote {remote!r} is not a remote name; pass e.g. --remote origin\n"
    )
    assert not (pair.site / "pwned").exists()
    assert pair.snapshot() == before


def test_a_crlf_result_leaves_a_clean_status_under_text_auto(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.commit_site("attributes", {".gitattributes": "* text=auto\n"})
    run = RUNS[0]
    text = samples.dumps(samples.result(run)).replace("\n", "\r\n")
    pair.bench.write(run.source, text)
    pair.bench.write(str(Path(run.source).parent / "config.json"), samples.run_config(run))
    pair.publish()
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0, out
    assert pair.site_git("status", "--porcelain") == ""
    written = pair.site_file(run).read_bytes()
    assert b"\r" not in written and written.endswith(b"}\n")
    pair.site_git("checkout", "-q", "main")


def test_the_same_value_in_another_form_is_unchanged(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Formatting churn: end-of-file newline, CRLF, key order and indent make no update."""
    pair.publish(*RUNS[:2])
    for i, run in enumerate(RUNS[:2]):
        value = samples.result(run)
        text = json.dumps(value, indent=4 if i else None, sort_keys=bool(i))
        path = pair.site_file(run)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((text + "\n\n").replace("\n", "\r\n").encode())
    pair.site_git("add", "-A")
    pair.site_git("commit", "-q", "-m", "website formatting of its own")
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert (report["new"], report["updated"], report["unchanged"]) == ([], [], 2)


def test_written_files_pass_the_websites_own_formatters(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    run = RUNS[0]
    pair.bench.write(run.source, json.dumps(samples.result(run), indent=3))  # no final newline
    pair.bench.write(str(Path(run.source).parent / "config.json"), samples.run_config(run))
    pair.publish()
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    written = pair.site_file(run).read_bytes()
    value = json.loads(written)
    pretty = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    assert written == pretty.encode()  # pretty-format-json's default style, one final newline


def test_the_sync_branch_checked_out_elsewhere_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(RUNS[0])
    pair.site_git("branch", "benchsync/sync-results")
    other = pair.site.parent / "other"
    pair.site_git("worktree", "add", "-q", str(other), "benchsync/sync-results")
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2
    assert "checked out in the worktree" in err and str(other) in err
    assert git(other, "status", "--porcelain") == ""


def test_an_ignored_file_at_a_target_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(RUNS[0])
    (pair.site / ".gitignore").write_text("*.json\n")
    pair.site_git("add", ".gitignore")
    pair.site_git("commit", "-q", "-m", "ignore json")
    local = pair.site_file(RUNS[0])
    local.parent.mkdir(parents=True)
    local.write_text("my own notes\n")
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2
    assert RUNS[0].target in err and "git-ignored" in err
    assert local.read_text() == "my own notes\n"


def test_a_rebase_in_progress_is_named(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(RUNS[0])
    pair.commit_site("one", {"a.txt": "one\n"})
    pair.site_git("checkout", "-q", "-b", "side", "HEAD~1")
    pair.commit_site("two", {"a.txt": "two\n"})
    subprocess.run(["git", "rebase", "main"], cwd=pair.site, capture_output=True, check=False)
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2
    assert "in the middle of a rebase" in err and "git rebase --abort" in err


def test_a_tag_to_a_tree_says_so(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(RUNS[0])
    tree = pair.bench.git("rev-parse", "HEAD^{tree}").strip()
    pair.bench.git("tag", "treetag", tree)
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--ref", "treetag")
    assert code == 2
    assert "names a tree, not a commit" in err


def test_an_entry_id_already_on_the_website_is_rejected(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    old = samples.Run("cpu", "gpt2", "short", "20260101", 1, "short_input")
    pair.seed_site(old)
    taken = json.loads(pair.site_file(old).read_text())["entry_id"]
    pair.publish(RUNS[0], entry_id=taken)
    before = pair.snapshot()
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert "entry-id-unique" in out and old.target in out
    assert pair.snapshot() == before


def test_a_link_at_a_target_holding_the_same_bytes_is_no_result_file(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """A website entry of mode 120000 whose blob is the source's bytes is a symbolic link,
    not the result: it is refused, never counted as unchanged."""
    run = RUNS[0]
    pair.publish(run)
    blob = pair.bench.git("rev-parse", f"HEAD:{run.source}").strip()
    pair.site_git("fetch", "-q", str(pair.bench.root), "HEAD")  # (the blob, in the website)
    pair.site_git("update-index", "--add", "--cacheinfo", f"120000,{blob},{run.target}")
    pair.site_git("commit", "-q", "-m", "a link holding the result's bytes")
    pair.site_git("checkout", "-q", "--", ".")
    before = [pair.site_git(*a) for a in (["rev-parse", "HEAD"], ["status", "--porcelain"])]
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, err) == (1, "")
    [line, summary] = out.splitlines()
    assert line.endswith(
        f": website-symlink {run.target} is a symbolic link in the website where the result "
        "goes; remove the link (git rm) and run again"
    )
    assert summary == "manifest rejected: 1 false claim; nothing written"
    after = [pair.site_git(*a) for a in (["rev-parse", "HEAD"], ["status", "--porcelain"])]
    assert after == before and pair.site_git("branch", "--list", "benchsync/*") == ""


def test_a_folder_differing_only_in_case_from_the_website_is_rejected(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    upper = samples.Run("cpu", "GPT2", "short", "20260101", 1, "short_input")
    pair.seed_site(upper)
    run = samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input")
    pair.publish(run)
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    assert "target-unique" in out and "differs only in case" in out
    assert not pair.site_file(run).exists()


def test_a_manifest_over_the_entry_limit_is_refused_before_parsing(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchsync_hooks.bench.manifest import MAX_ENTRIES

    pair.publish(RUNS[0])
    entry = pair.bench.manifest()["files"][0]
    head = '{"format": "benchsync-manifest/v2", "files": ['
    body = ",".join([json.dumps(entry)] * (MAX_ENTRIES + 1))
    pair.bench.write("outputs/sync-manifest.json", head + body + "]}")
    pair.bench.stage()
    pair.bench.commit("huge manifest")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1
    line = (out + err).strip()
    assert "manifest-size" in line and f"over {MAX_ENTRIES:,}" in line
    assert line.count("\n") <= 1


def test_a_config_json_nested_100000_deep_is_one_problem_everywhere(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    run = RUNS[0]
    pair.publish(run)
    config = str(Path(run.source).parent / "config.json")
    pair.bench.write(config, "[" * 100_000 + "]" * 100_000)
    pair.bench.stage()
    os.chdir(pair.bench.root)
    for argv, line in (
        (["layout", run.source], f"{run.source}: config-json {config} is nested too deeply"),
        (
            ["manifest"],
            f"{run.source}: manifest-left-out is published (HEAD's manifest lists it) but now "
            "fails config-json",
        ),
        (["check"], f"{run.source}: config-json {config} is nested too deeply"),
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == 1 and "Traceback" not in err, (argv, err)
        assert line in out, (argv, out)
    pair.bench.stage()
    pair.bench.commit("deep config")
    os.chdir(pair.site)
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0 and err == ""  # the manifest left the result out; nothing to sync
    assert "nothing to sync" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"format": "\\ud800"}',
            ':1:12: manifest-format format "\\ud800" is not one this benchsync reads '
            "(benchsync-manifest/v1, benchsync-manifest/v2); use the same benchsync-hooks "
            "version on both sides",
        ),
        (
            "[" * 100_000 + "]" * 100_000,
            ": manifest-schema is nested too deeply to be a manifest; regenerate it with "
            "'benchsync manifest --rebuild' in the benchmark repo",
        ),
        (
            '{"format": "benchsync-manifest/v2", "files": [' + "9" * 5000 + "]}",
            ": manifest-schema holds a number of over 4,300 digits; regenerate it with "
            "'benchsync manifest --rebuild' in the benchmark repo",
        ),
    ],
    ids=["lone surrogate", "100000 deep", "5000-digit number"],
)
def test_a_hostile_manifest_is_one_line(
    pair: Pair, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    pair.publish(RUNS[0])
    pair.bench.write("outputs/sync-manifest.json", text)
    pair.bench.stage()
    pair.bench.commit("hostile manifest")
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 1, err
    commit = pair.bench.git("rev-parse", "--short", "HEAD").strip()
    assert (out, err) == ("", f"benchsync apply: outputs/sync-manifest.json@{commit}{expected}\n")
    assert pair.snapshot() == before


def test_a_case_clash_with_the_website_is_found_in_every_process(pair: Pair) -> None:
    """The website already holds data/results/CPU/tiny and data/results/cpu/Tiny: a new
    result under cpu/Tiny is refused by every process, not only when Python's string
    hashing happens to list the folder CPU before cpu."""
    pair.seed_site(
        samples.Run("CPU", "tiny", "short", "20260118", 1, "short_input"),
        samples.Run("cpu", "Tiny", "short", "20260121", 1, "short_input"),
    )
    run = samples.Run("cpu", "Tiny", "short", "20260128", 1, "short_input")
    pair.publish(run)
    verdicts = set()
    for seed in range(8):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchsync_hooks",
                "apply",
                "--source",
                str(pair.bench.root),
                "--dry-run",
            ],
            cwd=pair.site,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=False,
        )
        verdicts.add((proc.returncode, proc.stdout, proc.stderr))
    assert verdicts == {
        (
            1,
            f"{run.source}: target-unique {run.target} differs only in case from the "
            "website's data/results/CPU; rename one of them\n"
            "1 file rejected; nothing written (--skip-invalid applies the rest)\n",
            "",
        )
    }


def _sha256_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main", "--object-format=sha256")
    ident = ("-c", "user.name=t", "-c", "user.email=t@t.invalid")
    git(path, *ident, "commit", "-q", "--allow-empty", "-m", "init")
    return path


SHA256_REFUSED = (
    "uses SHA-256 object ids (extensions.objectFormat); benchsync works with SHA-1 "
    "repositories (git's default): use a SHA-1 clone"
)


def test_a_sha256_website_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plans compare SHA-1 blob ids and objects are written as SHA-1 loose objects: a
    website with SHA-256 object ids is refused in one line, before any object lands in
    its database (a SHA-1 named file there is garbage to ``git fsck``)."""
    pair = Pair(tmp_path, capsys)
    site = _sha256_repo(tmp_path / "site256")
    pair.publish(*RUNS)
    monkeypatch.chdir(site)
    before = git(site, "count-objects", "-v")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, "")
    assert err == f"benchsync apply: the repository {site.resolve()} {SHA256_REFUSED}\n"
    assert git(site, "count-objects", "-v") == before
    assert "garbage" not in git(site, "fsck")


@pytest.mark.parametrize("command", [["manifest"], ["check"], ["layout", RUNS[0].source]])
def test_a_sha256_benchmark_repository_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    bench = _sha256_repo(tmp_path / "bench256")
    monkeypatch.chdir(bench)
    code, out, err = run_cli(capsys, *command)
    assert (code, out) == (2, "")
    assert err == f"benchsync {command[0]}: the repository {bench.resolve()} {SHA256_REFUSED}\n"


def test_a_sha256_source_is_one_line(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    source = _sha256_repo(pair.site.parent / "bench256")
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(source))
    assert (code, out) == (2, "")
    assert err == f"benchsync apply: the source {source} {SHA256_REFUSED}\n"
    assert pair.snapshot() == before


def test_a_second_apply_keeps_the_users_changes_elsewhere(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the sync branch (where apply leaves the website), a rerun checks out its new
    commit as git checkout does: an edit and an untracked file outside the results stay."""
    pair.publish(RUNS[0])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    (pair.site / "README.md").write_text("# site\n\nmy unsaved edit\n")
    (pair.site / "notes.md").write_text("my notes\n")
    pair.publish(RUNS[1])
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 0, err
    assert (pair.site / "README.md").read_text() == "# site\n\nmy unsaved edit\n"
    assert (pair.site / "notes.md").read_text() == "my notes\n"
    assert pair.site_file(RUNS[1]).is_file()
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == BRANCH


def test_a_checkout_that_would_overwrite_a_users_file_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """--base names a commit that tracks a file the user has untracked here: nothing moves."""
    pair.site_git("checkout", "-q", "-b", "release")
    (pair.site / "notes.md").write_text("released notes\n")
    pair.site_git("add", "notes.md")
    pair.site_git("commit", "-q", "-m", "notes")
    pair.site_git("checkout", "-q", "main")
    (pair.site / "notes.md").write_text("my own notes\n")
    pair.publish(RUNS[0])
    before = pair.snapshot()
    head = pair.site_git("rev-parse", "HEAD")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--base", "release")
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert "local changes that checking out the sync branch would overwrite (notes.md)" in line
    assert line.endswith("commit or stash them, then run again")
    assert (pair.site / "notes.md").read_text() == "my own notes\n"
    assert pair.snapshot() == before
    assert (pair.site_git("rev-parse", "HEAD"), pair.site_git("branch", "--list", BRANCH)) == (
        head,
        "",
    )


def test_a_branch_with_the_users_own_commit_is_not_reset(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.site_git("branch", "feature")
    pair.site_git("checkout", "-q", "feature")
    (pair.site / "work.md").write_text("mine\n")
    pair.site_git("add", "work.md")
    pair.site_git("commit", "-q", "-m", "my work")
    mine = pair.site_git("rev-parse", "HEAD").strip()
    pair.site_git("checkout", "-q", "main")
    pair.publish(RUNS[0])
    code, out, err = run_cli(
        capsys, "apply", "--source", str(pair.bench.root), "--branch", "feature"
    )
    assert (code, out) == (2, "")
    assert f"the branch feature is at {mine[:12]}, a commit benchsync did not make" in err
    assert pair.site_git("rev-parse", "feature").strip() == mine


@pytest.mark.parametrize(
    "lock", ["index.lock", "HEAD.lock", f"refs/heads/{BRANCH}.lock"], ids=["index", "HEAD", "ref"]
)
def test_a_git_lock_left_behind_is_named_before_anything_moves(
    pair: Pair, capsys: pytest.CaptureFixture[str], lock: str
) -> None:
    pair.publish(RUNS[0])
    path = pair.site / ".git" / lock
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    before = (pair.snapshot(), pair.site_git("rev-parse", "HEAD"), pair.site_git("branch"))
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert f"{path} exists: another git command is running in the website" in line
    path.unlink()
    assert (pair.snapshot(), pair.site_git("rev-parse", "HEAD"), pair.site_git("branch")) == before
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
