"""One problem, one line: a file name or value with a line break (or another control
character) in it is shown escaped, never as a new line of output that GitHub Actions would
read as a workflow command (``::warning ...``) or a terminal as a control sequence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BRANCH, RUN, RUNS, BenchRepo, Pair, run_cli

from benchsync_hooks import samples
from benchsync_hooks.report import MAX_CELL, Problem, md_cell, visible

#: A file name that would start a workflow command and move the cursor, printed as it is.
HOSTILE = "x\n::warning title=pwned::injected\r\x1b[2K\u2028_leaderboard.json"
SHOWN = "x\\n::warning title=pwned::injected\\r\\x1b[2K\\u2028_leaderboard.json"
FOLDER = "outputs/cpu/gpt2/short_20260128_001"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain ascii, é, р, → and 😀 stay", "plain ascii, é, р, → and 😀 stay"),
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("nul\x00 esc\x1b del\x7f nel\x85", "nul\\x00 esc\\x1b del\\x7f nel\\x85"),
        ("line\u2028paragraph\u2029", "line\\u2028paragraph\\u2029"),
        ("bidi\u202e override, zero\u200bwidth", "bidi\\u202e override, zero\\u200bwidth"),
        ("a backslash \\n stays as it is", "a backslash \\n stays as it is"),
    ],
)
def test_visible(text: str, shown: str) -> None:
    assert visible(text) == shown
    assert len(visible(text).splitlines()) == 1


def _hostile_result(bench: BenchRepo) -> str:
    rel = f"{FOLDER}/{HOSTILE}"
    bench.add_run(RUN)
    bench.write(rel, samples.result(RUN, entry_id="00000000-0000-4000-8000-0000000000aa"))
    bench.stage()
    return rel


def _assert_one_line_each(out: str, *, problems: int) -> None:
    lines = out.splitlines()
    assert "\r" not in out and "\x1b" not in out and "\u2028" not in out, out
    assert not [line for line in lines if line.startswith("::") and " pwned" in line]
    # (the ``file=`` of an annotation escapes ``:`` too)
    assert sum(SHOWN.rsplit("::", maxsplit=1)[-1] in line for line in lines) == problems, out


@pytest.mark.parametrize("fmt", ["text", "github", "actions"])
@pytest.mark.parametrize("command", ["layout", "manifest", "check", "schema"])
def test_a_file_name_with_a_line_break_stays_on_its_line(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    fmt: str,
) -> None:
    rel = _hostile_result(bench)
    if command == "schema":
        bench.write(rel, b"{")  # (a problem inside the file: PATH:LINE:COL)
    argv = [command, *([rel] if command in ("layout", "schema") else [])]
    if fmt == "actions":  # no --format under GitHub Actions: text, then annotations
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    else:
        argv.append(f"--format={fmt}")
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and err == "", out
    _assert_one_line_each(out, problems=2 if fmt == "actions" else 1)


def test_the_line_says_what_to_do(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    rel = _hostile_result(bench)
    assert run_cli(capsys, "layout", rel)[1].splitlines()[0] == (
        f"{FOLDER}/{SHOWN}: layout-name file name {HOSTILE!r} is not <name>_leaderboard.json "
        "with a lower-case slug name; rename the file"
    )


@pytest.mark.parametrize("command", ["layout", "manifest", "check"])
def test_json_keeps_the_name_as_it_is(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    rel = _hostile_result(bench)
    argv = [command, *([rel] if command == "layout" else []), "--format=json"]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 1
    doc = json.loads(out)
    assert rel in {p["path"] for p in doc["problems"]}


def test_problem_lines_escape_path_and_message() -> None:
    problem = Problem("a\nb.json", 3, 4, "json-syntax", "bad\r\n::error::x")
    assert problem.text() == "a\\nb.json:3:4: json-syntax bad\\r\\n::error::x"
    assert problem.github() == (
        "::error file=a\\nb.json,line=3,col=4,title=json-syntax::bad\\r\\n::error::x"
    )


def test_an_error_line_stays_one_line(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    """A ref from a dispatch payload, with a line break, in apply's one error line."""
    pair.publish(RUN)
    ref = "main\n::warning title=pwned::injected"
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--ref", ref)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("benchsync apply: ") and "main\\n::warning title=pwned" in line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a | b", "a \\| b"),
        ("[Click me](https://evil.example/x)", "\\[Click me\\](https:\u200b//evil.example/x)"),
        ("see www.evil.example/login", "see www\u200b.evil.example/login"),
        ("&#64;octocat and @octocat", "&amp;#\u200b64;octocat and @\u200boctocat"),
        ("see octo/site#2", "see octo/site#\u200b2"),
        ("<img src=x>", "&lt;img src=x&gt;"),
        ("![x](y)", "!\\[x\\](y)"),
        ("`code`", "\\`code\\`"),
        ("line\nbreak", "line\\\\nbreak"),
    ],
    ids=[
        "pipe",
        "link",
        "autolink",
        "entity and mention",
        "issue link",
        "html",
        "image",
        "code",
        "newline",
    ],
)
def test_a_markdown_cell_shows_text_as_text(text: str, shown: str) -> None:
    assert md_cell(text) == shown


@pytest.mark.parametrize("char", ["x", "\U000e0001", "|", "&"], ids=["plain", "tag", "pipe", "amp"])
def test_a_markdown_cell_is_cut_to_its_limit_after_escaping(char: str) -> None:
    """Its length as shown: a character shown as an escape (ten characters) or an
    entity counts as what it becomes."""
    cell = md_cell(char * 10_000)
    assert len(cell) <= MAX_CELL and cell.endswith("…")


def test_under_github_actions_a_failure_is_an_annotation_and_a_summary(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A failed command's one line also reaches the run's page (an ``::error``
    annotation, escaped like every line) and the step summary."""
    summary = tmp_path / "summary"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    missing = tmp_path / "no such"
    code, out, err = run_cli(capsys, "apply", "--source", str(missing))
    assert (code, out) == (2, "")
    fix = "does not exist; pass a benchmark repo path or URL"
    line = f"benchsync apply: source {visible(str(missing))} {fix}"
    assert err.splitlines() == [line, f"::error title=benchsync::{line}"]
    assert summary.read_text() == (
        f"### benchsync apply failed\n\nsource {md_cell(str(missing))} {fix}\n"
    )
    summary.unlink()
    broken = f"{tmp_path}/no\nsuch|`x`"  # (refused: a line break; its line still escaped)
    code, out, err = run_cli(capsys, "apply", "--source", broken)
    assert (code, out) == (2, "")
    message = (
        f"--source {broken!r} holds a line break or another control character; pass the "
        "path, URL or ref without it"
    )
    line = f"benchsync apply: {message}"
    assert err.splitlines() == [line, f"::error title=benchsync::{line}"]
    assert summary.read_text() == f"### benchsync apply failed\n\n{md_cell(message)}\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--source", "{tmp}/plain"),
            "source {tmp}/plain is not a git repository; pass the benchmark repository (a "
            "checkout, a bare clone or a URL)",
        ),
        (
            ("--source", "{bench}", "--website", "{tmp}/nowhere"),
            "--website {tmp}/nowhere: {tmp}/nowhere does not exist; check the path",
        ),
    ],
    ids=["source no repository", "website missing"],
)
def test_a_folder_that_is_no_repository_is_named_for_what_it_is(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    (tmp_path / "plain").mkdir()
    values = {"tmp": str(tmp_path), "bench": str(pair.bench.root)}
    code, out, err = run_cli(capsys, "apply", *(a.format(**values) for a in args))
    assert (code, out) == (2, "")
    assert err == f"benchsync apply: {says.format(**values)}\n"


def test_the_checked_out_branch_as_the_sync_branch_is_named_as_the_mistake(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    pair.publish(*RUNS[:1])
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--branch", "main")
    assert (code, out) == (2, "")
    assert err == (
        "benchsync apply: the website is on main, the sync branch (--branch or the config's "
        "branch), and no earlier sync made it: pass --base BRANCH, or name another sync branch "
        "(benchsync resets it on each run)\n"
    )
    assert pair.site_git("status", "--porcelain") == ""


def _fast_forwarded(pair: Pair, capsys: pytest.CaptureFixture[str]) -> tuple[str, ...]:
    """main fast-forwarded to a sync commit (whose trailer names main as its base)."""
    pair.publish(*RUNS[:1])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    pair.site_git("checkout", "-q", "main")
    pair.site_git("merge", "-q", "--ff-only", "benchsync/sync-results")
    pair.publish(*RUNS[:2])
    return ("--branch", "main")


def _from_a_feature_branch(pair: Pair, capsys: pytest.CaptureFixture[str]) -> tuple[str, ...]:
    """main fast-forwarded to a sync, then a run from another branch naming main."""
    _fast_forwarded(pair, capsys)
    pair.site_git("checkout", "-q", "-b", "feature")
    pair.commit_site("feature work", {"f.txt": "x\n"})
    return ("--branch", "main")


BOTH = (
    "main would be both the base and the sync branch, which benchsync resets on each run: "
    "pass --branch with a branch of its own (the default is benchsync/sync-results), or "
    "--base with the branch the pull request goes to"
)
A_BASE = (
    "main is a base: its last commit is a sync merged into main (it records main as its "
    "base), and benchsync would reset it: pass --branch with a branch of its own (the "
    "default is benchsync/sync-results)"
)


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        (_fast_forwarded, BOTH),
        (_from_a_feature_branch, A_BASE),
        (
            lambda pair, _capsys: (
                pair.publish(*RUNS[:1]),
                ("--base", "main", "--branch", "main"),
            )[1],
            BOTH,
        ),
        (
            lambda pair, _capsys: (
                pair.publish(*RUNS[:1]),
                ("--base", "refs/heads/main", "--branch", "main"),
            )[1],
            BOTH,
        ),
    ],
    ids=[
        "main fast-forwarded to a sync",
        "the same, run from another branch",
        "--base = --branch",
        "--base refs/heads/ = --branch",
    ],
)
def test_the_base_branch_is_never_the_sync_branch(
    pair: Pair, capsys: pytest.CaptureFixture[str], setup: object, says: str
) -> None:
    args = setup(pair, capsys)  # type: ignore[operator]
    main_before = pair.site_git("rev-parse", "main")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), *args, "--push")
    assert (code, out) == (2, "")
    assert err == f"benchsync apply: {says}\n"
    assert pair.site_git("rev-parse", "main") == main_before
    assert pair.site_git("status", "--porcelain") == ""


@pytest.mark.parametrize("website", ["the source itself", "a clone of it"])
def test_apply_in_the_benchmark_repository_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path, website: str
) -> None:
    import os
    import subprocess

    pair.publish(*RUNS[:1])
    bench = pair.bench.root
    where = bench
    if website == "a clone of it":
        where = tmp_path / "clone"
        subprocess.run(["git", "clone", "-q", str(bench), str(where)], check=True)
    before = subprocess.run(
        ["git", "for-each-ref"], cwd=where, capture_output=True, text=True, check=True
    ).stdout
    os.chdir(where)
    why = (
        f"it is the source, {bench}"
        if website == "the source itself"
        else "it tracks outputs/sync-manifest.json"
    )
    for extra in ((), ("--dry-run",)):
        code, out, err = run_cli(capsys, "apply", "--source", str(bench), *extra)
        assert (code, out) == (2, "")
        assert err == (
            f"benchsync apply: {where} looks like the benchmark repository ({why}): run apply "
            "in the website repository, or name it with --website DIR\n"
        )
    after = subprocess.run(
        ["git", "for-each-ref"], cwd=where, capture_output=True, text=True, check=True
    )
    assert after.stdout == before
    assert not (where / "data").exists()


def test_the_manifest_is_not_made_in_the_website_repository(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    pair.publish(*RUNS[:1])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    os.chdir(pair.site)
    for argv in (["manifest"], ["manifest", "--check"], ["manifest", "--rebuild"]):
        code, out, err = run_cli(capsys, *argv)
        assert (code, out) == (2, "")
        assert err == (
            "benchsync manifest: no results under outputs/ and no manifest, but a data/results/ "
            "folder: this looks like the website repository; the manifest is made in the "
            "benchmark repository: run it there\n"
        )
    assert not (pair.site / "outputs").exists()


def test_apply_outside_a_repository_names_the_folder(
    pair: Pair, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import os

    plain = tmp_path / "plain"
    plain.mkdir()
    os.chdir(plain)
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, "")
    assert err == (
        f"benchsync apply: {plain} is not inside a git repository; run benchsync in the "
        "repository (or 'git init' first)\n"
    )


_CONTROL = (
    "{value!r} holds a line break or another control character; pass the path, URL or ref "
    "without it"
)
_NO_BRANCH = (
    "base {value!r} is not a branch (a commit, tag or expression): pass the branch the pull "
    "request goes to (--base BRANCH)"
)


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--source", "{bench}\nBenchsync-Base: nosuch", "--source " + _CONTROL),
        ("--ref", "main\tx", "--ref " + _CONTROL),
        ("--ref", "a\x1b[31m", "--ref " + _CONTROL),
        ("--base", "main~0", _NO_BRANCH),
        ("--base", "main^{{commit}}", _NO_BRANCH),
        ("--base", "{commit}", _NO_BRANCH),
        ("--base", "v1", _NO_BRANCH),
    ],
)
def test_an_argument_that_would_be_recorded_wrong_is_refused(
    pair: Pair, capsys: pytest.CaptureFixture[str], option: str, value: str, says: str
) -> None:
    """The source, the ref and the base go into the sync commit, whose trailers later runs
    read: a control character, or a base that is no branch, is refused before anything."""
    pair.publish(*RUNS[:1])
    pair.site_git("tag", "v1")
    value = value.format(bench=pair.bench.root, commit=pair.site_git("rev-parse", "main").strip())
    argv = ["--source", str(pair.bench.root), option, value]
    code, out, err = run_cli(capsys, "apply", *argv[2:] if option == "--source" else argv)
    assert (code, out) == (2, "")
    assert err == f"benchsync apply: {says.format(value=value)}\n"
    assert pair.site_git("for-each-ref", "refs/heads/benchsync") == ""


@pytest.mark.parametrize("spelling", ["@", "HEAD", "heads/main", "refs/heads/main"])
def test_a_base_spelled_another_way_is_recorded_as_its_branch(
    pair: Pair, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    pair.publish(*RUNS[:1])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root), "--base", spelling)[0] == 0
    message = pair.site_git("log", "-1", "--format=%B", BRANCH)
    assert "\nBenchsync-Base: main\n" in message
    # a rerun from the sync branch itself: its base is main, HEAD no longer
    pair.publish(*RUNS[:2])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0
    assert pair.site_git("rev-parse", f"{BRANCH}~1") == pair.site_git("rev-parse", "main")


def test_head_on_the_sync_branch_is_no_base(pair: Pair, capsys: pytest.CaptureFixture[str]) -> None:
    pair.publish(*RUNS[:1])
    assert run_cli(capsys, "apply", "--source", str(pair.bench.root))[0] == 0  # (now on it)
    pair.publish(*RUNS[:2])
    code, _out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--base", "HEAD")
    assert code == 2
    assert err.startswith(f"benchsync apply: {BRANCH} would be both the base and the sync branch")
