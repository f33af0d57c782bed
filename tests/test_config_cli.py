"""Configuration keys and the command line: help, version, exit codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RUN, RUNS, BenchRepo, Pair, run_cli

from benchsync_hooks.config import Config, parse_config
from benchsync_hooks.config_files import load_config
from benchsync_hooks.errors import ConfigError
from benchsync_hooks.limits import NUMBERS


def test_defaults_match_the_design() -> None:
    config = Config()
    assert config.source_root == "outputs"
    assert config.target_root == "data/results"
    assert config.manifest == "outputs/sync-manifest.json"
    assert config.max_file_size == 1024 * 1024
    assert config.pr_title == "[Auto] Sync Benchmark Results"
    assert config.pr_labels == ("automated", "benchmark-sync", "data-update")
    assert config.branch == "benchsync/sync-results"
    assert dict(config.workloads)["m1"] == ("short_input", "long_input", "stress_test")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"sourceroot": "x"}, "unknown key 'sourceroot'"),
        ({"disable": "format-date"}, "disable must be a list of strings"),
        ({"source_root": "../elsewhere"}, "source_root must be a relative path"),
        ({"target_root": "/abs"}, "target_root must be a relative path"),
        ({"workloads": {"Short": ["x"]}}, "'Short' is not a lower-case slug"),
        ({"workloads": {"short": "short_input"}}, "workloads.short must be a list"),
        ({"backends": ["CUDA"]}, "backends: 'CUDA' is not a lower-case slug"),
        ({"pr_title": 3}, "pr_title must be a string"),
        ({"source_root": "out\nputs"}, "source_root: 'out\\nputs' holds the control character"),
        ({"include": ["*_leaderboard.json", "!"]}, "pattern '!' is not a gitignore pattern"),
        ({"exclude": ["x[z-a]"]}, "pattern 'x[z-a]' is not a gitignore pattern"),
        ({"exclude": ["a" * 100_000]}, "is not a gitignore pattern (failed to compile"),
        (
            {"exclude": [f"{'a' * 500}{i}*" for i in range(199)]},
            "the exclude patterns are too large to match together (failed to compile",
        ),
        ({"exclude": [f"outputs/x{i}/" for i in range(201)]}, "hold 202 patterns, over 200"),
    ],
    ids=[
        "unknown key",
        "disable a string",
        "source_root outside",
        "target_root absolute",
        "workload name",
        "workload not a list",
        "backend name",
        "pr_title a number",
        "control character",
        "invalid pattern",
        "invalid range",
        "a pattern too large for RE2",
        "patterns too large together",
        "too many patterns",
    ],
)
def test_bad_values_are_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, origin=".benchsync.toml")
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_every_numeric_key_has_a_range() -> None:
    numeric = {
        key
        for key, value in Config()._asdict().items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    assert set(NUMBERS) == numeric


def _range_of(key: str) -> str:
    bounds = NUMBERS[key]
    return f"{key} must be {bounds.what} from {bounds.low:,} to {bounds.high:,}{bounds.note}"


def _bad_numbers() -> list[tuple[str, object, str]]:
    """(key, value, how the message shows it) for every numeric key: not finite, a boolean,
    not a number, below and above the range, too large for a float, a fraction."""
    cases: list[tuple[str, object, str]] = []
    for key, bounds in sorted(NUMBERS.items()):
        values: list[tuple[object, str]] = [
            (float("nan"), "nan"),
            (float("inf"), "inf"),
            (float("-inf"), "-inf"),
            (True, "true"),
            ("10", "'10'"),
            ([1], "[1]"),
            (bounds.low - 1, str(bounds.low - 1)),
            (bounds.high + 1, str(bounds.high + 1)),
            (10**23, str(10**23)),
        ]
        if bounds.integer:
            values.append((bounds.low + 0.5, str(bounds.low + 0.5)))
        cases += [(key, value, shown) for value, shown in values]
    return cases


@pytest.mark.parametrize(("key", "value", "shown"), _bad_numbers())
def test_a_number_out_of_its_range_is_named(key: str, value: object, shown: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({key: value}, origin=".benchsync.toml")
    assert info.value.message == f".benchsync.toml: {_range_of(key)}, got {shown}"
    assert info.value.exit_code == 2


@pytest.mark.parametrize("key", sorted(NUMBERS))
def test_the_ends_of_each_range_are_taken(key: str) -> None:
    bounds = NUMBERS[key]
    for value in (bounds.low, bounds.high, *(() if bounds.integer else (bounds.low + 0.5,))):
        got = getattr(parse_config({key: value}), key)
        assert got == value and isinstance(got, int if bounds.integer else float)


def test_readme_documents_each_range() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for key, bounds in NUMBERS.items():
        [row] = [r for r in rows if r.startswith(f"| `{key}`")] or [
            r for r in rows if f"`{key}`" in r.split("|")[1]
        ]
        assert f"{bounds.low:,} to {bounds.high:,}" in row, (key, row)


@pytest.mark.parametrize(
    ("file", "text", "command", "message"),
    [
        (
            ".benchsync.toml",
            "lock_timeout = nan\n",
            "apply",
            f"{_range_of('lock_timeout')}, got nan",
        ),
        (
            ".benchsync.toml",
            "lock_timeout = inf\n",
            "apply",
            f"{_range_of('lock_timeout')}, got inf",
        ),
        (
            "pyproject.toml",
            "[tool.benchsync]\nmax_file_size = 99999999999999999999999\n",
            "apply",
            f"{_range_of('max_file_size')}, got 99999999999999999999999",
        ),
        (
            "pyproject.toml",
            "[tool.benchsync]\nmax_file_size = 99999999999999999999999\n",
            "schema",
            f"{_range_of('max_file_size')}, got 99999999999999999999999",
        ),
        (
            ".benchsync.toml",
            "max_file_size = 99999999999999999999999\n",
            "layout",
            f"{_range_of('max_file_size')}, got 99999999999999999999999",
        ),
        (".benchsync.toml", "max_depth = true\n", "check", f"{_range_of('max_depth')}, got true"),
        (
            ".benchsync.toml",
            "api_retries = -inf\n",
            "manifest",
            f"{_range_of('api_retries')}, got -inf",
        ),
    ],
)
def test_a_bad_number_stops_the_command_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    file: str,
    text: str,
    command: str,
    message: str,
) -> None:
    """The file, the key and the range; exit 2, no traceback, nothing written."""
    for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(key, raising=False)
    pair = Pair(tmp_path, capsys)
    pair.publish(*RUNS)
    where = pair.site if command == "apply" else pair.bench.root
    (where / file).write_text(text)
    monkeypatch.chdir(where)
    before = pair.snapshot()
    argv = ["apply", "--source", str(pair.bench.root)] if command == "apply" else [command]
    if command in ("schema", "layout"):
        argv.append(RUNS[0].source)
    code, out, err = run_cli(capsys, *argv)
    origin = "pyproject.toml [tool.benchsync]" if file == "pyproject.toml" else file
    assert (code, out, err) == (2, "", f"benchsync {command}: {origin}: {message}\n")
    assert pair.snapshot() == before
    assert pair.bench.git("status", "--porcelain", "--untracked-files=no") == ""


def test_both_config_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".benchsync.toml").write_text("max_depth = 10\n")
    (tmp_path / "pyproject.toml").write_text("[tool.benchsync]\nmax_depth = 12\n")
    with pytest.raises(ConfigError, match="keep one of them"):
        load_config(tmp_path)


def test_pyproject_without_table_uses_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config(tmp_path) == Config()


@pytest.mark.parametrize(
    "text", ["max_depth = \n", "x = " + "[" * 5_000 + "]" * 5_000 + "\n"], ids=["broken", "deep"]
)
def test_broken_toml_is_one_line(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    bench.write(".benchsync.toml", text)
    bench.add_run(RUN)
    code, out, err = run_cli(capsys, "schema", RUN.source)
    assert code == 2 and out == ""
    assert err.startswith("benchsync schema: .benchsync.toml: cannot read configuration")
    assert len(err.splitlines()) == 1


def test_unknown_key_from_the_command(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("pyproject.toml", "[tool.benchsync]\nsource_dir = 'results'\n")
    code, _out, err = run_cli(capsys, "check")
    assert code == 2
    assert "pyproject.toml [tool.benchsync]: unknown key 'source_dir'" in err


def test_custom_roots(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write(
        ".benchsync.toml",
        'source_root = "results"\nmanifest = "results/manifest.json"\n',
    )
    rel = "results/cpu/gpt2/short_20260128_001/short_input_leaderboard.json"
    from benchsync_hooks import samples

    bench.write(rel, samples.result(RUN))
    bench.stage()
    assert run_cli(capsys, "layout", rel)[:2] == (0, "")
    assert run_cli(capsys, "manifest")[0] == 1
    assert (bench.root / "results/manifest.json").is_file()


@pytest.mark.parametrize("command", ["schema", "layout", "manifest", "check", "apply", "demo"])
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: benchsync {command}")
    assert "exit codes" in out
    # the docs' address whole on its line (argparse breaks lines at hyphens by default)
    assert out.splitlines()[-1].endswith("https://github.com/benchsync/benchsync-hooks#readme")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_cli(capsys, "schema", "--format", "xml")
    assert code == 2 and "invalid choice: 'xml'" in err
    code, _out, err = run_cli(capsys)
    assert code == 2 and "required: COMMAND" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from benchsync_hooks import __version__

    assert run_cli(capsys, "--version")[:2] == (0, f"benchsync {__version__}\n")


def test_module_entry_point(bench: BenchRepo) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "benchsync_hooks", "schema"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr.startswith("benchsync schema: no FILE given, nothing checked")


def test_a_file_system_error_is_one_line(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.add_run(RUN)
    bench.stage()
    (bench.root / "outputs/sync-manifest.json").mkdir()  # a directory where the file goes
    code, _out, err = run_cli(capsys, "manifest")
    assert code == 2
    assert err.startswith("benchsync manifest: ") and "check permissions" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


_BAD_PATHS = [
    "data/results/",
    "./data/results",
    "data//results",
    "/data/results",
    "data/./results",
    "data/../results",
    ".git/x",
    "data/.GIT",
    "data/.Git/x",
    "data\\results",
    ".",
    "",
]


@pytest.mark.parametrize("key", ["source_root", "target_root", "manifest"])
@pytest.mark.parametrize("value", _BAD_PATHS)
def test_a_path_key_git_cannot_hold_is_named(key: str, value: str) -> None:
    from benchsync_hooks.config import PATH_RULE

    with pytest.raises(ConfigError) as info:
        parse_config({key: value}, origin=".benchsync.toml")
    assert info.value.message == f".benchsync.toml: {key} must be {PATH_RULE}, got {value!r}"
    assert info.value.exit_code == 2


@pytest.mark.parametrize("value", ["data/results", "results", "a.b/.github/x.json", "d/.gitx"])
def test_a_plain_relative_path_is_taken(value: str) -> None:
    assert parse_config({"target_root": value}).target_root == value


def _toml_string(value: str) -> str:
    return (
        '"'
        + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in value)
        + '"'
    )


@pytest.mark.parametrize("file", [".benchsync.toml", "pyproject.toml"])
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("target_root", "data/results/"),
        ("target_root", "./data/results"),
        ("target_root", ".git/x"),
        ("source_root", "outputs/"),
        ("manifest", "./outputs/sync-manifest.json"),
    ],
)
def test_apply_refuses_a_bad_path_key_before_writing(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    file: str,
    key: str,
    value: str,
) -> None:
    """Both repositories agree on the spelling; apply still writes no tree git cannot hold."""
    from benchsync_hooks.config import PATH_RULE

    pair.publish(*RUNS)
    line = f"{key} = {_toml_string(value)}\n"
    text = line if file == ".benchsync.toml" else f"[tool.benchsync]\n{line}"
    for root in (pair.bench.root, pair.site):
        (root / file).write_text(text)
    monkeypatch.chdir(pair.site)
    before = pair.snapshot()
    head = pair.site_git("rev-parse", "HEAD")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    origin = "pyproject.toml [tool.benchsync]" if file == "pyproject.toml" else file
    message = f"benchsync apply: {origin}: {key} must be {PATH_RULE}, got {value!r}\n"
    assert (code, out, err) == (2, "", message)
    assert pair.snapshot() == before
    assert pair.site_git("rev-parse", "HEAD") == head
    assert pair.site_git("fsck", "--no-progress") == ""


@pytest.mark.parametrize(
    ("table", "place", "text", "char"),
    [
        ({"branch": "a\x00b"}, "branch", "a\x00b", "\x00"),
        ({"target_root": "data/\x1bresults"}, "target_root", "data/\x1bresults", "\x1b"),
        ({"schema": "s\x00.json"}, "schema", "s\x00.json", "\x00"),
        ({"pr_title": "Sync\x1b[2J"}, "pr_title", "Sync\x1b[2J", "\x1b"),
        ({"pr_title": "a\tb"}, "pr_title", "a\tb", "\t"),
        ({"regression_label": "slow\x7f"}, "regression_label", "slow\x7f", "\x7f"),
        ({"branch": "next\x85line"}, "branch", "next\x85line", "\x85"),
        ({"pr_labels": ["ok", "bad\rlabel"]}, "pr_labels[1]", "bad\rlabel", "\r"),
        ({"include": ["*\x00.json"]}, "include[0]", "*\x00.json", "\x00"),
        ({"exclude": ["docs/\n"]}, "exclude[0]", "docs/\n", "\n"),
        ({"disable": ["format\x00-date"]}, "disable[0]", "format\x00-date", "\x00"),
        ({"backends": ["cpu\x00"]}, "backends[0]", "cpu\x00", "\x00"),
        (
            {"workloads": {"short": ["short\x00input"]}},
            "workloads.short[0]",
            "short\x00input",
            "\x00",
        ),
        ({"regression_metrics": {"tok\x1bs": "higher"}}, "regression_metrics", "tok\x1bs", "\x1b"),
    ],
)
def test_a_control_character_in_any_string_key_is_named(
    table: dict[str, object], place: str, text: str, char: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, origin=".benchsync.toml")
    assert info.value.message == (
        f".benchsync.toml: {place}: {text!r} holds the control character {char!r}; remove it"
    )
    assert "\n" not in info.value.message and info.value.exit_code == 2


@pytest.mark.parametrize(
    ("command", "key", "value"),
    [
        ("apply", "branch", "a\x00b"),
        ("check", "schema", "s\x00.json"),
        ("apply", "schema", "s\x00.json"),
    ],
)
def test_a_nul_in_the_config_is_one_line(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    key: str,
    value: str,
) -> None:
    pair.publish(*RUNS)
    where = pair.site if command == "apply" else pair.bench.root
    (where / ".benchsync.toml").write_text(f"{key} = {_toml_string(value)}\n")
    monkeypatch.chdir(where)
    before = pair.snapshot()
    argv = (
        ["apply", "--dry-run", "--source", str(pair.bench.root)]
        if command == "apply"
        else [command]
    )
    code, out, err = run_cli(capsys, *argv)
    message = f"{key}: {value!r} holds the control character '\\x00'; remove it"
    assert (code, out, err) == (2, "", f"benchsync {command}: .benchsync.toml: {message}\n")
    assert pair.snapshot() == before
