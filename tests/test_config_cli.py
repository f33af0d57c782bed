"""Configuration keys and the command line: help, version, exit codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RUN, BenchRepo, run_cli

from benchsync_hooks.config import Config, load_config, parse_config
from benchsync_hooks.errors import ConfigError


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
        ({"max_file_size": "1MB"}, "max_file_size must be a positive integer"),
        ({"max_depth": 0}, "max_depth must be a positive integer"),
        ({"disable": "format-date"}, "disable must be a list of strings"),
        ({"source_root": "../elsewhere"}, "source_root must be a relative path"),
        ({"target_root": "/abs"}, "target_root must be a relative path"),
        ({"workloads": {"Short": ["x"]}}, "'Short' is not a lower-case slug"),
        ({"workloads": {"short": "short_input"}}, "workloads.short must be a list"),
        ({"backends": ["CUDA"]}, "backends: 'CUDA' is not a lower-case slug"),
        ({"lock_timeout": -1}, "lock_timeout must be a non-negative number"),
        ({"pr_title": 3}, "pr_title must be a string"),
        ({"max_depth": True}, "max_depth must be a int"),
    ],
)
def test_bad_values_are_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, origin=".benchsync.toml")
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_both_config_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".benchsync.toml").write_text("max_depth = 10\n")
    (tmp_path / "pyproject.toml").write_text("[tool.benchsync]\nmax_depth = 12\n")
    with pytest.raises(ConfigError, match="keep one of them"):
        load_config(tmp_path)


def test_pyproject_without_table_uses_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config(tmp_path) == Config()


def test_broken_toml_is_one_line(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write(".benchsync.toml", "max_depth = \n")
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
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


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
