"""The GitHub Action: action.yml's steps run as the runner runs them (tests/action_runner.py),
against real repositories, a bare remote and the local fake GitHub API.

The install step runs for real, offline: pip installs the action's checkout and the wheels
of constraints.txt that ``make test`` downloads into .tools/wheelhouse (PIP_NO_INDEX, no
configuration files). It runs once per test worker; the other tests link that environment
into their own runner temp and run the steps after it, as a job's second use would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from action_runner import (
    ActionRun,
    Job,
    StepRun,
    copy_action,
    evaluate,
    load,
    parse_outputs,
    run_action,
)
from conftest import BRANCH, RUNS, BenchRepo, built_once, git, init_repo
from fake_github import TOKEN, State, fake_github
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from benchsync_hooks import samples
from benchsync_hooks.action import Inputs, benchsync_argv, install_commands, read_inputs

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / ".tools" / "wheelhouse"
VENV = "benchsync-action"
NAME = "benchsync-hooks"  # the action's folder, as the runner names the checkout
OUTPUTS = {
    "changed",
    "files-new",
    "files-updated",
    "branch",
    "commit",
    "pr-title",
    "pr-labels",
    "pr-body-path",
    "pr-number",
    "pr-url",
    "pr-operation",
    "regressions",
}
#: what actions/setup-python would put there: this test environment's base interpreter
PYTHON = getattr(sys, "_base_executable", sys.executable)
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": "/dev/null"}


@pytest.fixture(scope="session")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's checkout, one per test run: the install step builds in it, once."""
    return built_once(tmp_path_factory, "action", _checkout) / NAME


def _checkout(folder: Path) -> None:
    copy_action(ROOT, folder / NAME)


def _wheelhouse() -> dict[str, str]:
    if not (WHEELHOUSE / ".complete").is_file():
        pytest.skip("no .tools/wheelhouse (make test downloads the pinned wheels)")
    return {**OFFLINE, "PIP_FIND_LINKS": str(WHEELHOUSE)}


def _install(action: Path, temp: Path) -> None:
    """The install step run in ``temp`` (the workspace and the runner temp); run.json."""
    job = Job(action, temp, temp, PYTHON, env=_wheelhouse())
    ran = run_action(job, {"mode": "check"}, skip=frozenset({"benchsync"}))
    (temp / "run.json").write_text(json.dumps(dataclasses.asdict(ran)))


@pytest.fixture(scope="session")
def installed(
    action_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ActionRun]:
    """The install step, run for real once per test run (for all the workers): the venv it
    made, and the run."""
    temp = built_once(tmp_path_factory, "runner-temp", functools.partial(_install, action_path))
    doc = json.loads((temp / "run.json").read_text("utf-8"))
    ran = ActionRun(tuple(StepRun(**step) for step in doc["steps"]), doc["outputs"])
    assert ran.code == 0, ran.steps[-1].stdout + ran.steps[-1].stderr
    return temp / VENV, ran


@pytest.fixture
def job(
    tmp_path: Path, action_path: Path, installed: tuple[Path, ActionRun]
) -> Iterator[tuple[Job, State]]:
    """A job whose runner temp holds the installed venv, with the fake API's address."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    (temp / VENV).symlink_to(installed[0])
    with fake_github("octo/site") as (url, state):
        env = {"GITHUB_REPOSITORY": "octo/site", "GITHUB_API_URL": url}
        yield Job(action_path, tmp_path / "work", temp, PYTHON, token=TOKEN, env=env), state


def _after_install(job: Job, inputs: Mapping[str, str]) -> ActionRun:
    return run_action(job, inputs, skip=frozenset({"install"}))


# --- action.yml itself ---------------------------------------------------------------------


def test_metadata_pins_setup_python_and_keeps_inputs_out_of_shell_text() -> None:
    text = (ROOT / "action.yml").read_text("utf-8")
    action = load(ROOT)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    setup = steps[0]
    assert re.fullmatch(r"actions/setup-python@[0-9a-f]{40}", setup["uses"])
    assert re.search(re.escape(setup["uses"]) + r" # v\d+\.\d+\.\d+\n", text)
    assert setup["with"]["update-environment"] is False  # the job's PATH stays the user's
    assert setup["if"] == "inputs.python-version != ''"
    runs = [s for s in steps if "run" in s]
    assert [s["id"] for s in runs] == ["install", "benchsync"]
    for step in runs:
        assert "${{" not in step["run"], "an expression in shell text is a script injection"
        assert step["shell"] == "bash"
    env_inputs = [{k: v for k, v in s["env"].items() if k.startswith("INPUT_")} for s in runs]
    assert env_inputs[0] == env_inputs[1]
    passed = {
        f"INPUT_{n.upper().replace('-', '_')}": f"${{{{ inputs.{n} }}}}" for n in action["inputs"]
    }
    for name in ("INPUT_TOKEN", "INPUT_PYTHON_VERSION", "INPUT_WORKING_DIRECTORY"):
        del passed[name]  # the token goes to the run step only; the others are for YAML
    assert env_inputs[0] == passed
    assert runs[1]["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert "GITHUB_TOKEN" not in runs[0]["env"]  # pip and build code never see it
    assert runs[1]["working-directory"] == "${{ inputs.working-directory }}"
    assert set(action["outputs"]) == OUTPUTS
    for name, spec in action["outputs"].items():
        assert spec["value"] == f"${{{{ steps.benchsync.outputs.{name} }}}}"
    for name, spec in action["inputs"].items():
        assert spec["description"] and "default" in spec, name


def test_readme_documents_every_input_and_output() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    action = load(ROOT)
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"`{name}`" in readme, name
    shipped = [readme, *(p.read_text("utf-8") for p in (ROOT / "examples/github").glob("*.yml"))]
    tags = {
        tag
        for text in shipped
        for tag in re.findall(r"/benchsync-hooks@(v[0-9]+(?:\.[0-9]+)*)", text)
    }
    assert len(tags) == 1, f"the README and the workflows name one release of the action: {tags}"


def test_evaluator_refuses_what_it_does_not_know() -> None:
    context = {"inputs": {"a": "1"}, "github": {}, "runner": {}, "steps": {}}
    assert evaluate("x ${{ inputs.a }} y", context) == "x 1 y"
    with pytest.raises(ValueError, match=r"github\.event"):
        evaluate("${{ github.event.inputs.ref }}", context)
    assert parse_outputs("a=1\nb<<EOF\nx\ny\nEOF\nc=z=2\n") == {"a": "1", "b": "x\ny", "c": "z=2"}


def test_constraints_are_within_pyproject_bounds() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    project = pyproject["project"]
    pinned: dict[str, list[str]] = {}
    for pin in _constraints():
        [spec] = pin.specifier
        assert spec.operator == "==", f"{pin} is not an exact pin"
        pinned.setdefault(canonicalize_name(pin.name), []).append(spec.version)
    for line in [
        *project["dependencies"],
        *project["optional-dependencies"]["github"],
        *pyproject["build-system"]["requires"],
    ]:
        requirement = Requirement(line)
        versions = pinned.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not pinned in constraints.txt"
        for version in versions:
            assert requirement.specifier.contains(version), f"{version} breaks {line}"


def _constraints() -> list[Requirement]:
    lines = (ROOT / "constraints.txt").read_text("utf-8").splitlines()
    return [Requirement(text) for text in (t.split("#", 1)[0].strip() for t in lines) if text]


def _pins() -> dict[str, str]:
    """The version constraints.txt pins for each distribution on this interpreter."""
    return {
        canonicalize_name(pin.name): next(iter(pin.specifier)).version
        for pin in _constraints()
        if pin.marker is None or pin.marker.evaluate()
    }


# --- inputs --------------------------------------------------------------------------------


def _inputs(**given: str) -> dict[str, str]:
    env = {f"INPUT_{n.upper()}": v for n, v in given.items()}
    for name, value in load(ROOT)["inputs"].items():
        key = f"INPUT_{name.upper().replace('-', '_')}"
        env.setdefault(key, str(value.get("default", "")))
    return env


@pytest.mark.parametrize(
    ("given", "argv"),
    [
        ({"source": "u"}, ["apply", "--source=u", "--push", "--open-pr"]),
        (
            {"source": " -u\n", "ref": "-x", "base": "main", "branch": "b"},
            [
                "apply",
                "--source=-u",
                "--ref=-x",
                "--branch=b",
                "--base=main",
                "--push",
                "--open-pr",
            ],
        ),
        ({"source": "u", "push": "False", "open_pr": "FALSE"}, ["apply", "--source=u"]),
        ({"source": "u", "dry_run": "true"}, ["apply", "--source=u", "--dry-run"]),
        (
            {"source": "u", "commit": "false", "push": "false", "open_pr": "false"},
            ["apply", "--source=u", "--no-commit"],
        ),
        (
            {"source": "u", "skip_invalid": "TRUE", "fail_on_regression": "True"},
            [
                "apply",
                "--source=u",
                "--push",
                "--open-pr",
                "--skip-invalid",
                "--fail-on-regression",
            ],
        ),
        ({"mode": "check"}, ["check"]),
        ({"mode": "check-website"}, ["check", "--website"]),
    ],
)
def test_inputs_to_argv(given: dict[str, str], argv: list[str]) -> None:
    assert benchsync_argv(read_inputs(_inputs(**given))) == argv


def test_website_report_is_passed() -> None:
    inputs = read_inputs(_inputs(source="u", website_report="true"))
    assert isinstance(inputs, Inputs) and inputs.website_report
    assert benchsync_argv(inputs, website_report=Path("r.json"))[-1] == "--website-report=r.json"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "input source is required with mode: sync"),
        ({"source": "u", "push": "yes"}, "input push must be true or false, not 'yes'"),
        ({"source": "u", "open-pr": ""}, "input open-pr must be true or false, not ''"),
        ({"mode": "publish"}, "input mode must be one of sync, check, check-website"),
        ({"source": "u", "commit": "false"}, "input commit: false only writes the files"),
    ],
)
def test_a_bad_input_is_one_line_before_anything_is_installed(
    action_path: Path, tmp_path: Path, given: dict[str, str], message: str
) -> None:
    job = Job(action_path, tmp_path, tmp_path, PYTHON, env=OFFLINE)
    ran = run_action(job, given)
    [install] = ran.steps  # the failing step ends the run
    assert (install.id, install.code, install.stdout) == ("install", 2, "")
    [line] = install.stderr.splitlines()
    assert line.startswith("::error title=benchsync::" + message)
    assert not (tmp_path / VENV).exists()


@pytest.mark.parametrize(
    ("pip_version", "create", "pip"),
    [
        (
            (22, 3),
            ["py", "-m", "venv", "--clear", "--without-pip", "V"],
            ["py", "-m", "pip", "--python", "V/bin/python"],
        ),
        ((22, 2), ["py", "-m", "venv", "--clear", "V"], ["V/bin/python", "-m", "pip"]),
        ((), ["py", "-m", "venv", "--clear", "V"], ["V/bin/python", "-m", "pip"]),
    ],
)
def test_install_commands(
    pip_version: tuple[int, ...], create: list[str], pip: list[str], tmp_path: Path
) -> None:
    """The runner's pip installs into a venv made without pip when it can (``--python``)."""
    venv = tmp_path / "V"
    made, install = install_commands(
        project=tmp_path / "a b", venv=venv, python="py", pip_version=pip_version
    )
    assert made == [str(venv) if part == "V" else part for part in create]
    assert install[: len(pip)] == [part.replace("V/", f"{venv}/") for part in pip]
    assert install[len(pip)] == "install" and "--no-compile" in install
    assert install[-1] == f"benchsync-hooks[github] @ {(tmp_path / 'a b').as_uri()}"
    assert "%20" in install[-1]  # a space in the action's path stays inside one argument


def test_action_py_needs_a_step_name() -> None:
    done = subprocess.run(
        [sys.executable, "-I", str(ROOT / "benchsync_hooks/action.py"), "publish"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("usage: action.py install | run")


# --- the install step ----------------------------------------------------------------------


VENV_FACTS = """
import importlib.metadata as m, json, re
ours = m.distribution("benchsync-hooks")
print(json.dumps({
    "dists": {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
              for d in m.distributions()},
    "url": json.loads(ours.read_text("direct_url.json"))["url"],
}))
"""


def _venv_facts(venv: Path) -> dict[str, Any]:
    """The distributions installed in ``venv`` and where benchsync-hooks came from."""
    done = subprocess.run(
        [str(venv / "bin/python"), "-I", "-c", VENV_FACTS],
        capture_output=True,
        text=True,
        check=True,
    )
    facts: dict[str, Any] = json.loads(done.stdout)
    return facts


def _version(root: Path) -> str:
    text = (root / "benchsync_hooks" / "__init__.py").read_text("utf-8")
    found = re.search(r'^__version__ = "(.+)"$', text, re.M)
    assert found
    return found.group(1)


@pytest.mark.slow(10)
def test_install_step_installs_the_checkout_pinned(
    installed: tuple[Path, ActionRun], action_path: Path
) -> None:
    venv, ran = installed
    [step] = ran.steps
    assert step.stdout.strip() == f"benchsync installed into {venv} (from {action_path})"
    facts = _venv_facts(venv)
    assert facts["url"] == action_path.as_uri()  # the action's checkout, from no index
    found = facts["dists"]
    assert found.pop("benchsync-hooks") == _version(action_path)
    pins = _pins()
    assert sorted(set(found) - set(pins)) == [], "installed but not pinned in constraints.txt"
    assert found == {n: pins[n] for n in found}, "installed versions differ from the pins"
    assert set(pins) - set(found) == {"setuptools"}  # the build backend, not installed
    # the interpreter it was made from (the user's Python) did not get benchsync
    user = subprocess.run([PYTHON, "-I", "-c", "import benchsync_hooks"], check=False)
    assert user.returncode == 1


@pytest.mark.slow(15)
def test_install_with_a_python_without_pip(tmp_path: Path) -> None:
    """A runner Python without pip (python-version: '' on a bare system): the venv is made
    with its own pip, which installs (from a checkout of its own: a build in the shared one
    could meet the other install's)."""
    action_path = copy_action(ROOT, tmp_path / "action" / NAME)
    bare = tmp_path / "bare-python"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(bare)], check=True)
    job = Job(action_path, tmp_path, tmp_path, str(bare / "bin/python"), env=_wheelhouse())
    ran = run_action(job, {"mode": "check"}, skip=frozenset({"benchsync"}))
    assert ran.code == 0, ran.steps[-1].stderr
    assert (tmp_path / VENV / "bin" / "pip").exists()  # made with pip: the fallback ran
    assert _venv_facts(tmp_path / VENV)["url"] == action_path.as_uri()


# --- the action's steps against real repositories ------------------------------------------


class Scene:
    """A benchmark repository and, in the job's workspace at ``site``, a website with a bare
    remote; :meth:`run` runs the action's steps after the install with ``source`` and
    ``working-directory`` set."""

    def __init__(self, runner: Job, state: State, tmp: Path) -> None:
        self.runner, self.state = runner, state
        self.log = ""  # stdout and stderr of the last run's steps
        self.bench = BenchRepo(init_repo(tmp / "bench"))
        self.remote = tmp / "site-remote.git"
        git(tmp, "init", "-q", "--bare", str(self.remote))
        self.site = init_repo(runner.workspace / "site")
        (self.site / "README.md").write_text("# site\n")
        (self.site / ".benchsync.toml").write_text("api_backoff = 0.01\napi_write_interval = 0\n")
        self.commit_site("init")
        git(self.site, "remote", "add", "origin", str(self.remote))
        git(self.site, "push", "-q", "origin", "main")

    def commit_site(self, message: str) -> None:
        git(self.site, "add", "-A")
        git(self.site, "commit", "-q", "-m", message)

    def run(self, **inputs: str) -> ActionRun:
        given = {"source": str(self.bench.root), "working-directory": "site", **inputs}
        ran = _after_install(self.runner, given)
        self.log = "".join(s.stdout + s.stderr for s in ran.steps)
        return ran


@pytest.fixture
def scene(job: tuple[Job, State], tmp_path: Path) -> Scene:
    return Scene(*job, tmp_path)


@pytest.mark.slow(5)
def test_sync_opens_updates_then_leaves_the_pull_request(scene: Scene) -> None:
    scene.bench.publish(*RUNS[:2])
    ran = scene.run()
    assert ran.code == 0, scene.log
    head = git(scene.remote, "rev-parse", f"refs/heads/{BRANCH}").strip()
    assert ran.outputs == {
        "changed": "true",
        "files-new": "2",
        "files-updated": "0",
        "branch": BRANCH,
        "commit": head,
        "pr-title": "[Auto] Sync Benchmark Results",
        "pr-labels": "automated,benchmark-sync,data-update",
        "pr-body-path": str(scene.site / ".git/benchsync/pr-body.md"),
        "pr-number": "1",
        "pr-url": "https://github.invalid/octo/site/pull/1",
        "pr-operation": "created",
        "regressions": "0",
    }
    assert f"benchsync apply --source={scene.bench.root} --push --open-pr" in scene.log
    [pull] = scene.state.open_pulls()
    assert pull["head"]["ref"] == BRANCH and "**2 new**" in pull["body"]
    assert "**2 new**" in ran.summary and "Pull request #1 (created)" in ran.summary

    scene.bench.publish(RUNS[2])
    git(scene.site, "checkout", "-q", "main")
    ran = scene.run()
    assert ran.code == 0, scene.log
    assert (ran.outputs["pr-operation"], ran.outputs["pr-number"]) == ("updated", "1")
    assert ran.outputs["files-new"] == "3" and "**3 new**" in scene.state.pulls[1]["body"]

    ran = scene.run()
    assert ran.code == 0, scene.log
    assert (ran.outputs["changed"], ran.outputs["pr-operation"]) == ("false", "none")
    assert len(scene.state.pulls) == 1


def test_fail_on_regression_fails_the_step_after_the_pull_request(scene: Scene) -> None:
    earlier = samples.Run("cpu", "gpt2", "short", "20260120", 1, "short_input")
    later = samples.Run("cpu", "gpt2", "short", "20260128", 1, "short_input")
    scene.bench.publish(earlier, metrics__ttft_ms=200.0)
    (scene.site / "data/results/cpu/gpt2").mkdir(parents=True)
    earlier_file = scene.bench.root / earlier.source
    (scene.site / earlier.target).write_bytes(earlier_file.read_bytes())
    scene.commit_site("the earlier run, already on the website")
    scene.bench.publish(later, metrics__ttft_ms=260.0)  # TTFT +30%: a regression
    ran = scene.run(**{"fail-on-regression": "true"})
    assert ran.code == 1, scene.log
    assert (ran.outputs["regressions"], ran.outputs["pr-operation"]) == ("1", "created")
    [pull] = scene.state.open_pulls()
    assert "performance-regression" in pull["label_names"]
    assert pull["body"].startswith("**Performance:** 1 regression")


def test_dry_run_writes_and_opens_nothing(scene: Scene) -> None:
    scene.bench.publish(RUNS[0])
    ran = scene.run(**{"dry-run": "true", "token": ""})
    assert ran.code == 0, scene.log
    outputs = ran.outputs
    assert (outputs["changed"], outputs["files-new"], outputs["pr-operation"]) == ("false", "1", "")
    assert "dry run: nothing written" in ran.steps[-1].stdout
    assert git(scene.site, "branch", "--list", BRANCH) == "" and not scene.state.requests


def test_open_pr_without_a_token_is_one_line(scene: Scene) -> None:
    scene.bench.publish(RUNS[0])
    step = scene.run(token="").steps[-1]
    assert (step.id, step.code, step.stdout) == ("benchsync", 2, "")
    [line] = step.stderr.splitlines()
    assert line.startswith("::error title=benchsync::input token is empty")
    assert not scene.state.requests


def test_files_only_for_create_pull_request_with_the_website_report(scene: Scene) -> None:
    """commit: false (the create-pull-request variant) and website-report: true."""
    scene.bench.publish(*RUNS[:2])
    legacy = scene.site / "data/results/long_input_leaderboard.json/_long_input_leaderboard.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(samples.dumps(samples.result(RUNS[2])))
    scene.commit_site("a file of the old sync")
    switches = {"commit": "false", "push": "false", "open-pr": "false", "website-report": "true"}
    ran = scene.run(**switches)
    assert ran.code == 0, scene.log
    outputs = ran.outputs
    assert (outputs["changed"], outputs["files-new"], outputs["branch"], outputs["commit"]) == (
        "true",
        "2",
        "",
        "",
    )
    assert all((scene.site / r.target).is_file() for r in RUNS[:2])
    body = Path(outputs["pr-body-path"]).read_text("utf-8")
    assert "website-layout" in body and "long_input_leaderboard.json/_long" in body
    report = scene.runner.temp / "benchsync-website-check.json"
    assert json.loads(report.read_text("utf-8"))["ok"] is False
    assert f"--website-report={report}" in scene.log
    assert not scene.state.requests


def test_website_report_on_a_first_sync_warns_and_syncs(scene: Scene) -> None:
    """No data/results/ yet: the website check cannot run; the sync goes on without it."""
    scene.bench.publish(RUNS[0])
    ran = scene.run(**{"website-report": "true"})
    assert ran.code == 0, scene.log
    assert "::warning title=benchsync::the website check did not run" in ran.steps[-1].stdout
    assert ran.outputs["pr-operation"] == "created" and ran.outputs["files-new"] == "1"


def test_check_mode_on_the_benchmark_repository(job: tuple[Job, State]) -> None:
    runner, _state = job
    bench = BenchRepo(init_repo(runner.workspace))
    bench.publish(*RUNS)
    ran = _after_install(runner, {"mode": "check"})
    assert ran.code == 0, ran.steps[-1].stderr
    assert "4 files checked, 0 problems" in ran.steps[-1].stdout
    assert "### benchsync check (benchmark)" in ran.summary
    assert set(ran.outputs.values()) == {""}

    bad = RUNS[0].source
    bench.write(bad, samples.dumps(samples.result(RUNS[0], model__name="gpt-2")))
    bench.stage()
    bench.commit("a result whose model is not its folder")
    ran = _after_install(runner, {"mode": "check"})
    assert ran.code == 1
    assert f"::error file={bad}" in ran.steps[-1].stdout
    assert "model-name" in ran.summary
