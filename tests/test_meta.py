"""README, pyproject scripts, .pre-commit-hooks.yaml, rules and config keys agree."""

from __future__ import annotations

import re
import subprocess
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from benchsync_hooks.arguments import build_parser
from benchsync_hooks.cli import main
from benchsync_hooks.config import Config
from benchsync_hooks.rules import DISABLEABLE, RULES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def _subparsers() -> dict[str, object]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_command_and_option_is_in_the_readme(command: str) -> None:
    assert f"benchsync {command}" in README
    sub = _subparsers()[command]
    for action in sub._actions:  # type: ignore[attr-defined]
        for option in action.option_strings:
            if option in ("-h", "--help"):
                continue
            assert option in README, f"{command} {option} missing from README"


def test_hooks_file_matches_the_cli_and_readme() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    ids = {h["id"] for h in hooks}
    assert ids == {"leaderboard-schema", "leaderboard-layout", "leaderboard-manifest"}
    commands = _subparsers()
    for hook in hooks:
        program, command = hook["entry"].split()
        assert program == "benchsync" and command in commands
        assert f"id: {hook['id']}" in README
        assert hook["language"] == "python"
    by_id = {h["id"]: h for h in hooks}
    assert by_id["leaderboard-manifest"]["pass_filenames"] is False
    assert by_id["leaderboard-manifest"]["require_serial"] is True
    assert by_id["leaderboard-layout"]["require_serial"] is True
    assert by_id["leaderboard-schema"]["types"] == ["json"]
    assert re.search(by_id["leaderboard-schema"]["files"], "x/a_leaderboard.json")
    assert re.search(by_id["leaderboard-manifest"]["files"], "outputs/sync-manifest.json")


def _installed(program: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_console_script_is_installed_and_is_the_cli() -> None:
    """`benchsync` as installed (what the hooks' entries and the README call) is cli:main."""
    dist = metadata.distribution("benchsync-hooks")
    scripts = [e for e in dist.entry_points if e.group == "console_scripts"]
    assert [(e.name, e.value) for e in scripts] == [("benchsync", "benchsync_hooks.cli:main")]
    assert scripts[0].load() is main
    program = Path(sysconfig.get_path("scripts")) / "benchsync"
    assert program.is_file(), f"{program} is not installed: pip install -e '.[test]'"

    version = _installed(program, "--version")
    assert (version.returncode, version.stdout, version.stderr) == (
        0,
        f"benchsync {dist.version}\n",
        "",
    )
    assert f"rev: v{dist.version}" in README  # the version the README tells users to pin

    usage = _installed(program, "--help")
    assert usage.returncode == 0 and usage.stdout.startswith("usage: benchsync "), usage.stderr
    listed = re.findall(r"^### `benchsync (\w+)", README, re.MULTILINE)
    assert sorted(listed) == sorted(_subparsers())
    for command in listed:
        assert re.search(rf"^    {command} ", usage.stdout, re.MULTILINE), command
        sub = _installed(program, command, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith(f"usage: benchsync {command}")
    assert "exit codes: 0 all good" in usage.stdout  # README: "Every command prints --help"

    wrong = _installed(program, "no-such-command")
    assert wrong.returncode == 2 and wrong.stdout == ""  # README: 2 is a usage error
    assert "invalid choice: 'no-such-command'" in wrong.stderr


def test_every_rule_is_documented() -> None:
    for rule in RULES:
        assert f"| `{rule}`" in README or f"`{rule}` /" in README or f"/ `{rule}`" in README, rule
    for rule in DISABLEABLE:
        assert rule in RULES


RULE_LITERAL = re.compile(
    r'"((?:file|json|schema|cluster|format|layout|model|run|workload|config|entry|target|'
    r'manifest|website)-[a-z0-9-]+)"'
)


def test_every_rule_used_in_the_code_is_registered() -> None:
    used = set()
    for path in (ROOT / "benchsync_hooks").rglob("*.py"):
        used.update(RULE_LITERAL.findall(path.read_text("utf-8")))
    assert used, "the scan found no rule ids at all"
    assert used - set(RULES) == set()


def test_every_config_key_is_documented() -> None:
    for name in Config._fields:
        if name == "origin":
            continue
        row = rf"^\| (?:`[a-z_]+`, )*`{name}`(?:, `[a-z_]+`)* \|"  # a key, or keys, per row
        assert re.search(row, README, re.M), name
