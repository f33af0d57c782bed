"""README, pyproject scripts, .pre-commit-hooks.yaml, rules and config keys agree."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from benchsync_hooks.cli import build_parser
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


def test_console_script() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["scripts"] == {"benchsync": "benchsync_hooks.cli:main"}
    assert project["name"] == "benchsync-hooks"
    assert project["requires-python"] == ">=3.10"


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
        assert f"| `{name}` |" in README, name
