"""Runs the composite action of ``action.yml`` as GitHub's runner does, on this machine.

For the tests and ``make bench``. Each input is its ``with:`` value or its default; the
expressions of a step (``${{ inputs.X }}``, ``${{ github.action_path }}``,
``${{ github.token }}``, ``${{ runner.temp }}``, ``${{ steps.ID.outputs.X }}``) are
evaluated, any other expression is an error; each ``run:`` step runs with its ``shell``
(``bash --noprofile --norc -eo pipefail FILE``, as the runner does) in its
``working-directory`` with its ``env:``, its own ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` files; the first failing step ends the run; the action's outputs
are then evaluated from the steps' outputs as declared.

``actions/setup-python`` is not run: the job's ``python`` stands for the interpreter it
would set up (its ``python-path`` output).

As a program (used by ``make bench``): ``action_runner.py ACTION WORKSPACE TEMP PYTHON
[--skip=STEP_ID…] [NAME=VALUE…]`` runs the action with those inputs (but the steps named)
and prints its outputs as JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SETUP_PYTHON = "actions/setup-python@"
#: what the runner sets for every step; a job's own values are dropped first
RUNNER_VARIABLES = ("GITHUB_", "RUNNER_", "INPUT_", "BENCHSYNC_")


@dataclass(frozen=True)
class Job:
    """The job the action runs in: what the runner and earlier steps provide."""

    action_path: Path
    workspace: Path
    temp: Path
    python: str  # the interpreter actions/setup-python would set up
    token: str = "job-token-not-secret"
    env: Mapping[str, str] = field(default_factory=dict)  # e.g. GITHUB_REPOSITORY


@dataclass(frozen=True)
class StepRun:
    id: str
    name: str
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass(frozen=True)
class ActionRun:
    steps: tuple[StepRun, ...]
    outputs: dict[str, str]

    @property
    def code(self) -> int:
        return self.steps[-1].code if self.steps else 0

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.steps)

    def step(self, step_id: str) -> StepRun:
        return next(s for s in self.steps if s.id == step_id)


def copy_action(repo: Path, target: Path) -> Path:
    """The action as the runner downloads it: the repository's files (tracked, and new ones
    not ignored), nothing built."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        if (repo / rel).is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / rel, target / rel)
    return target


def load(action_path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((action_path / "action.yml").read_text("utf-8"))
    return doc


def evaluate(text: str, context: Mapping[str, Mapping[str, str]]) -> str:
    """``text`` with every ``${{ … }}`` replaced; only the names the action may use."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        steps = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if steps:
            return context["steps"].get(f"{steps.group(1)}.{steps.group(2)}", "")
        scope, _, name = expression.partition(".")
        if scope in ("inputs", "github", "runner") and name in context[scope]:
            return context[scope][name]
        raise ValueError(f"the local runner does not evaluate ${{{{ {expression} }}}}")

    return EXPRESSION.sub(one, text)


def _condition(text: str, context: Mapping[str, Mapping[str, str]]) -> bool:
    match = re.fullmatch(r"inputs\.([\w-]+) (!=|==) ''", text.strip())
    if match is None:
        raise ValueError(f"the local runner does not evaluate if: {text}")
    empty = context["inputs"][match.group(1)] == ""
    return empty if match.group(2) == "==" else not empty


def parse_outputs(text: str) -> dict[str, str]:
    """A ``GITHUB_OUTPUT`` file: ``name=value`` lines and ``name<<MARKER`` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, marker = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == marker:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def run_action(
    job: Job, inputs: Mapping[str, str], *, skip: frozenset[str] = frozenset()
) -> ActionRun:
    """Run the action's steps (but those whose id is in ``skip``) with these ``with:``."""
    action = load(job.action_path)
    declared = action["inputs"]
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"action.yml has no input {', '.join(sorted(unknown))}")
    github = {"action_path": str(job.action_path), "token": job.token}
    context: dict[str, dict[str, str]] = {
        "github": github,
        "runner": {"temp": str(job.temp)},
        "steps": {},
    }
    context["inputs"] = {
        name: inputs[name] if name in inputs else evaluate(str(spec.get("default", "")), context)
        for name, spec in declared.items()
    }
    done: list[StepRun] = []
    for number, step in enumerate(action["runs"]["steps"]):
        step_id = str(step.get("id", f"step{number}"))
        if step_id in skip or ("if" in step and not _condition(step["if"], context)):
            continue
        if "uses" in step:
            if not str(step["uses"]).startswith(SETUP_PYTHON):
                raise ValueError(f"the local runner does not run {step['uses']}")
            context["steps"][f"{step_id}.python-path"] = job.python
            continue
        ran = _run_step(job, step, step_id, number, context)
        done.append(ran)
        for name, value in ran.outputs.items():
            context["steps"][f"{step_id}.{name}"] = value
        if ran.code:
            break
    outputs = {
        name: evaluate(str(spec["value"]), context) for name, spec in action["outputs"].items()
    }
    return ActionRun(tuple(done), outputs)


def _run_step(
    job: Job, step: Mapping[str, Any], step_id: str, number: int, context: Any
) -> StepRun:
    if step.get("shell") != "bash":
        raise ValueError(f"step {step_id}: the local runner runs shell: bash only")
    files = job.temp / "_runner" / f"{number}-{step_id}"
    files.mkdir(parents=True, exist_ok=True)
    output, summary, script = files / "output", files / "summary.md", files / "run.sh"
    output.write_text("")
    summary.write_text("")
    script.write_text(evaluate(str(step["run"]), context) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(RUNNER_VARIABLES)}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(job.workspace),
        GITHUB_ACTION_PATH=str(job.action_path),
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        RUNNER_TEMP=str(job.temp),
    )
    env.update(job.env)
    env.update({k: evaluate(str(v), context) for k, v in (step.get("env") or {}).items()})
    cwd = job.workspace / evaluate(str(step.get("working-directory", ".")), context)
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return StepRun(
        step_id,
        str(step.get("name", "")),
        proc.returncode,
        proc.stdout,
        proc.stderr,
        parse_outputs(output.read_text("utf-8")),
        summary.read_text("utf-8"),
    )


def main(argv: list[str]) -> int:
    action, workspace, temp, python, *rest = argv
    job = Job(Path(action), Path(workspace), Path(temp), python)
    skip = frozenset(arg.removeprefix("--skip=") for arg in rest if arg.startswith("--skip="))
    pairs = [arg for arg in rest if not arg.startswith("--skip=")]
    ran = run_action(job, dict(pair.split("=", 1) for pair in pairs), skip=skip)
    for step in ran.steps:
        sys.stderr.write(step.stdout + step.stderr)
    print(json.dumps(ran.outputs))
    return ran.code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
