"""The GitHub Action: action.yml's steps run as the runner runs them (tests/action_runner.py),
against real repositories, a bare remote and the local fake GitHub API.

The install step runs for real, offline: pip installs the uv of constraints-uv.txt and uv
the dependencies of constraints.txt, from the wheels that ``make test`` downloads into
.tools/wheelhouse (PIP_NO_INDEX and UV_OFFLINE, no configuration files), each checked
against its hash. It runs once per test worker; the other tests link that environment into
their own runner temp and run the steps after it, as a job's second use would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
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

from benchsync_hooks import action, action_run, samples
from benchsync_hooks.action import Inputs, benchsync_argv, one_line, read_inputs
from benchsync_hooks.action_install import LOCK, UV_LOCK, install_commands, uv_environment
from benchsync_hooks.report import visible

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
    "regressions-json",
    "unlisted",
}
#: what actions/setup-python would put there: this test environment's base interpreter
PYTHON = getattr(sys, "_base_executable", sys.executable)
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": "/dev/null", "UV_OFFLINE": "1"}
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


@pytest.fixture(scope="session")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's checkout, one per test run: the install step builds in it, once."""
    return built_once(tmp_path_factory, "action", _checkout) / NAME


def _checkout(folder: Path) -> None:
    copy_action(ROOT, folder / NAME)


def _wheelhouse(folder: Path = WHEELHOUSE) -> dict[str, str]:
    """The install's environment: no index, the wheels in ``folder`` (as a mirror or a
    restored cache would offer them)."""
    if not (WHEELHOUSE / ".complete").is_file():
        pytest.skip("no .tools/wheelhouse (make test downloads the pinned wheels)")
    return {**OFFLINE, "PIP_FIND_LINKS": str(folder), "UV_FIND_LINKS": str(folder)}


def _install(action: Path, folder: Path) -> None:
    """The install step run in ``folder/temp`` (the workspace and the runner temp);
    ``folder/run.json`` says how it went."""
    temp = folder / "temp"
    temp.mkdir()
    job = Job(action, temp, temp, PYTHON, env=_wheelhouse())
    ran = run_action(job, {"mode": "check"}, skip=frozenset({"benchsync"}))
    compiled = sorted(p.name for p in (action / "benchsync_hooks" / "__pycache__").glob("*.pyc"))
    (folder / "run.json").write_text(json.dumps(dataclasses.asdict(ran)))
    (folder / "compiled.json").write_text(json.dumps(compiled))


@pytest.fixture(scope="session")
def installed(
    action_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ActionRun]:
    """The install step, run for real once per test run (for all the workers): the venv it
    made, and the run."""
    folder = built_once(tmp_path_factory, "runner-temp", functools.partial(_install, action_path))
    doc = json.loads((folder / "run.json").read_text("utf-8"))
    ran = ActionRun(tuple(StepRun(**step) for step in doc["steps"]), doc["outputs"])
    assert ran.code == 0, ran.steps[-1].stdout + ran.steps[-1].stderr
    return folder / "temp" / VENV, ran


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


def test_the_lock_pins_and_hashes_every_dependency_within_pyproject_bounds() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    project = pyproject["project"]
    pinned: dict[str, list[str]] = {}
    for pin, hashes in _locked(LOCK):
        [spec] = pin.specifier
        assert spec.operator == "==", f"{pin} is not an exact pin"
        assert hashes, f"{pin} has no --hash: the install would refuse it"
        pinned.setdefault(canonicalize_name(pin.name), []).append(spec.version)
    for line in [*project["dependencies"], *project["optional-dependencies"]["github"]]:
        requirement = Requirement(line)
        versions = pinned.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not pinned in {LOCK}"
        for version in versions:
            assert requirement.specifier.contains(version), f"{version} breaks {line}"
    [(uv, hashes)] = _locked(UV_LOCK)
    assert uv.name == "uv" and next(iter(uv.specifier)).operator == "==" and hashes


def _locked(name: str, root: Path = ROOT) -> list[tuple[Requirement, list[str]]]:
    """Each requirement of a lock file with its sha256 hashes (pip's requirements format,
    a ``\\`` at a line's end continues it)."""
    text = (root / name).read_text("utf-8").replace("\\\n", " ")
    entries = []
    for line in text.splitlines():
        spec, *options = line.split("#", 1)[0].split(" --")
        if not spec.strip():
            continue
        hashes = [option.strip().removeprefix("hash=") for option in options]
        assert all(SHA256.fullmatch(h) for h in hashes), f"{name}: {line}"
        entries.append((Requirement(spec), hashes))
    return entries


def _pins() -> dict[str, str]:
    """The version constraints.txt pins for each distribution on this interpreter."""
    return {
        canonicalize_name(pin.name): next(iter(pin.specifier)).version
        for pin, _hashes in _locked(LOCK)
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
        (
            {"source": "u", "ref": "main\n::warning title=pwned::injected"},
            "input ref must not hold a line break or other control character: "
            "main\\n::warning title=pwned::injected",
        ),
        (
            {"source": "https://x.invalid/a\r\n::error::b.git"},
            "input source must not hold a line break or other control character: "
            "https://x.invalid/a\\r\\n::error::b.git",
        ),
        ({"source": "u", "branch": "b\x1b[2K"}, "input branch must not hold a line break"),
        ({"source": "u", "base": "main\u2028x"}, "input base must not hold a line break"),
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


def test_what_the_action_echoes_stays_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """The command line it prints and its error lines: a value with a line break in it
    cannot start a line GitHub Actions reads as a workflow command."""
    action_run.say(["apply", "--ref=main\n::warning title=pwned::injected"], " > r\r.json")
    action.error_line("bad\n::warning::x 100%0A")
    out, err = capsys.readouterr()
    assert out == "benchsync apply '--ref=main\\n::warning title=pwned::injected' > r\\r.json\n"
    assert err == "::error title=benchsync::bad\\n::warning::x 100%250A\n"


def test_the_install_steps_copy_of_visible_agrees() -> None:
    """``one_line`` (the install step cannot import benchsync) is ``report.visible``, for
    every character."""
    every = "".join(map(chr, range(0x110000)))
    assert one_line(every) == visible(every)
    assert one_line("plain") == "plain"


def test_install_commands_check_hashes_and_take_wheels_only(tmp_path: Path) -> None:
    project, venv, work = tmp_path / "a b", tmp_path / "V", tmp_path / "W"
    commands = install_commands(project=project, venv=venv, work=work, python="py", pip="pp")
    assert [what for what, _ in commands] == ["pip install uv", "uv venv", "uv pip install"]
    (_, pip), (_, make), (_, uv) = commands
    assert pip[:4] == ["pp", "-m", "pip", "install"]
    assert pip[-4:] == ["--target", str(work / "uv"), "-r", str(project / UV_LOCK)]
    assert make[:2] == [str(work / "uv/bin/uv"), "venv"] and make[-3:] == [
        "--python",
        "py",
        str(venv),
    ]
    assert uv[-4:] == ["--python", str(venv / "bin/python"), "-r", str(project / LOCK)]
    for install in (pip, uv):
        assert "--require-hashes" in install
        assert install[install.index("--only-binary") + 1] == ":all:"  # no build runs code
    for command in (make, uv):  # no uv.toml of the website's, a cache of this install's only
        assert "--no-config" in command
        assert command[command.index("--cache-dir") + 1] == str(work / "cache")


def test_uv_sees_where_packages_come_from_and_no_other_setting() -> None:
    env = {
        "PATH": "/bin",
        "UV_INDEX_URL": "https://mirror.invalid/simple",
        "UV_INDEX_MIRROR_PASSWORD": "x",
        "UV_DEFAULT_INDEX": "https://mirror.invalid/simple",
        "UV_FIND_LINKS": "/wheels",
        "UV_OFFLINE": "1",
        "UV_CACHE_DIR": "/restored/cache",
        "UV_LINK_MODE": "symlink",
        "UV_NO_VERIFY_HASHES": "1",
        "UV_OVERRIDE": "/tmp/overrides.txt",
    }
    assert set(uv_environment(env)) == {
        "PATH",
        "UV_INDEX_URL",
        "UV_INDEX_MIRROR_PASSWORD",
        "UV_DEFAULT_INDEX",
        "UV_FIND_LINKS",
        "UV_OFFLINE",
    }


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
import importlib.metadata as m, json, re, benchsync_hooks
print(json.dumps({
    "dists": {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
              for d in m.distributions()},
    "file": benchsync_hooks.__file__,
    "version": benchsync_hooks.__version__,
}))
"""


def _venv_facts(venv: Path) -> dict[str, Any]:
    """The distributions installed in ``venv`` and the benchsync_hooks it imports."""
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


def _assert_installed(venv: Path, action_path: Path) -> None:
    """``venv`` runs the action's checkout, with exactly the pinned distributions."""
    facts = _venv_facts(venv)
    assert facts["file"] == str(action_path / "benchsync_hooks" / "__init__.py")
    assert facts["version"] == _version(action_path)
    found, pins = facts["dists"], _pins()
    assert sorted(set(found) - set(pins)) == [], f"installed but not pinned in {LOCK}"
    assert found == pins, "installed versions differ from the pins"  # no pip, no uv


@pytest.mark.slow(10)
def test_install_step_installs_the_checkout_pinned(
    installed: tuple[Path, ActionRun], action_path: Path
) -> None:
    venv, ran = installed
    [step] = ran.steps
    [uv_wheel] = (p.name for p in WHEELHOUSE.glob("uv-*.whl"))
    assert step.stdout.splitlines() == [  # uv from its wheel, without pip
        f"uv from {uv_wheel} (its sha256 locked in {UV_LOCK})",
        f"benchsync installed into {venv} (from {action_path}; each dependency checked "
        f"against its sha256 in {LOCK})",
    ]
    _assert_installed(venv, action_path)
    # the action's own modules were compiled while uv installed (a job's checkout has none)
    compiled = json.loads((venv.parent.parent / "compiled.json").read_text("utf-8"))
    tag = sys.implementation.cache_tag
    assert {f"cli.{tag}.pyc", f"action_run.{tag}.pyc"} <= set(compiled)
    # nothing but the venv is left (uv and its cache were this install's only)
    assert sorted(p.name for p in venv.parent.iterdir()) == ["_runner", VENV]
    # the interpreter it was made from (the user's Python) did not get benchsync
    user = subprocess.run([PYTHON, "-I", "-c", "import benchsync_hooks"], check=False)
    assert user.returncode == 1


@pytest.mark.slow(15)
def test_install_with_a_python_without_pip(action_path: Path, tmp_path: Path) -> None:
    """A runner Python without pip (python-version: '' on a bare system), and a pip setting
    the fetch of uv's wheel does not follow (``PIP_TRUSTED_HOST``): a throwaway venv's pip
    installs uv, as pip is configured."""
    bare = tmp_path / "bare-python"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(bare)], check=True)
    env = {**_wheelhouse(), "PIP_TRUSTED_HOST": "mirror.invalid"}
    job = Job(action_path, tmp_path, tmp_path, str(bare / "bin/python"), env=env)
    ran = run_action(job, {"mode": "check"}, skip=frozenset({"benchsync"}))
    assert ran.code == 0, ran.steps[-1].stderr
    assert ran.steps[0].stdout.startswith("uv through pip: pip is configured (PIP_TRUSTED_HOST)\n")
    _assert_installed(tmp_path / VENV, action_path)


def _poison(wheel: Path, module: str) -> None:
    """Rewrite ``wheel`` with a line of code added to ``module``: a valid wheel, as a
    poisoned mirror or cache would serve it."""
    poisoned = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(poisoned, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == module:
                data = b'raise SystemExit("poisoned")\n' + data
            new.writestr(item, data)
    poisoned.replace(wheel)


@pytest.mark.parametrize(
    ("wheel", "module", "what", "says", "uv_line"),
    [
        (
            "uv-*.whl",
            "uv/__init__.py",
            "pip install uv",
            "DO NOT MATCH THE HASHES",
            "uv through pip: {wheel}: its sha256 is not one the lock names",
        ),
        (
            "typing_extensions-*.whl",
            "typing_extensions.py",
            "uv pip install",
            "Hash mismatch for `typing-extensions==",
            "uv from {uv} (its sha256 locked in constraints-uv.txt)",
        ),
    ],
)
def test_a_poisoned_wheel_is_refused(
    action_path: Path,
    tmp_path: Path,
    wheel: str,
    module: str,
    what: str,
    says: str,
    uv_line: str,
) -> None:
    """A wheel whose bytes differ from the lock's hash (a restored cache, a mirror): the
    install stops with the hash line and its own, and installs nothing from it. A poisoned
    uv wheel is never opened: pip is left to refuse it, with its own words."""
    folder = shutil.copytree(WHEELHOUSE, tmp_path / "wheels")
    [target] = folder.glob(wheel)
    _poison(target, module)
    job = Job(action_path, tmp_path, tmp_path, PYTHON, env=_wheelhouse(folder))
    ran = run_action(job, {"mode": "check"})
    [step] = ran.steps
    [uv] = folder.glob("uv-*.whl")
    assert step.code != 0
    assert step.stdout == uv_line.format(wheel=target.name, uv=uv.name) + "\n"
    assert says in " ".join(step.stderr.split())  # uv wraps its lines
    assert step.stderr.splitlines()[-1] == (
        f"::error title=benchsync::installing benchsync from {action_path} failed: {what} "
        f"exited {step.code} (its lines are above)"
    )
    assert not list(tmp_path.glob(f"{VENV}/lib/python*/site-packages/{module}"))
    assert sorted(p.name for p in tmp_path.glob(f"{VENV}*")) in ([], [VENV])


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (r"\1", "all requirements must have a hash, but none were provided for: typing-extensions"),
        ("", "no trusted hash was provided for: `typing-extensions`"),
    ],
    ids=["without-a-hash", "unpinned"],
)
def test_a_dependency_left_without_a_hash_or_unpinned_is_refused(
    tmp_path: Path, edit: str, says: str
) -> None:
    """The install takes nothing the lock leaves open: a pin without hashes, or a
    dependency (typing-extensions, of several) missing from it."""
    action = copy_action(ROOT, tmp_path / "action")
    lock = action / LOCK
    entry = re.compile(r"^(typing-extensions==\S+)(?: \\\n +--hash=\S+)+$", re.M)
    text, found = entry.subn(edit, lock.read_text("utf-8"))
    assert found == 1
    lock.write_text(text, "utf-8")
    job = Job(action, tmp_path, tmp_path, PYTHON, env=_wheelhouse())
    [step] = run_action(job, {"mode": "check"}).steps
    assert step.code != 0 and says in " ".join(step.stderr.split()), step.stderr  # uv wraps
    assert step.stderr.splitlines()[-1].startswith(
        f"::error title=benchsync::installing benchsync from {action} failed: uv pip install"
    )


def test_a_planted_uv_cache_is_never_read(action_path: Path, tmp_path: Path) -> None:
    """uv trusts its cache (it does not check it against hashes): a poisoned one, as
    setup-uv or actions/cache would restore it at UV_CACHE_DIR, puts its files into a plain
    ``uv pip install``, and nothing into the action's venv."""
    offline = {**os.environ, **_wheelhouse()}
    tool, cache = tmp_path / "uv", tmp_path / "restored-cache"
    pip = [PYTHON, "-m", "pip", "install", "-q", "--no-deps", "--require-hashes"]
    subprocess.run(
        [*pip, "--target", str(tool), "-r", str(ROOT / UV_LOCK)], env=offline, check=True
    )

    def plain_install(venv: Path) -> Path:
        uv = [str(tool / "bin/uv"), "--quiet", "--no-config", "--cache-dir", str(cache)]
        subprocess.run([*uv, "venv", "--python", PYTHON, str(venv)], env=offline, check=True)
        target = ["--python", str(venv / "bin/python"), "--require-hashes", "-r", str(ROOT / LOCK)]
        subprocess.run([*uv, "pip", "install", *target], env=offline, check=True)
        [module] = venv.glob("lib/python*/site-packages/typing_extensions.py")
        return module

    plain_install(tmp_path / "filled")
    planted = list(cache.glob("archive-v*/*/typing_extensions.py"))
    assert planted
    for module in planted:
        text = module.read_text("utf-8")
        module.unlink()  # not through the hard link of the venv it was installed into
        module.write_text('raise SystemExit("poisoned")\n' + text, "utf-8")
    assert "poisoned" in plain_install(tmp_path / "plain").read_text("utf-8")

    temp = tmp_path / "runner-temp"
    job = Job(
        action_path, tmp_path, temp, PYTHON, env={**_wheelhouse(), "UV_CACHE_DIR": str(cache)}
    )
    ran = run_action(job, {"mode": "check"}, skip=frozenset({"benchsync"}))
    assert ran.code == 0, ran.steps[-1].stderr
    [module] = (temp / VENV).glob("lib/python*/site-packages/typing_extensions.py")
    assert "poisoned" not in module.read_text("utf-8")
    _assert_installed(temp / VENV, action_path)


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
        "regressions-json": "[]",
        "unlisted": "0",
    }
    assert set(ran.steps[-1].outputs) == OUTPUTS  # each output written is declared, and back
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
    [regression] = json.loads(ran.outputs["regressions-json"])
    assert (regression["result"], regression["metric"], regression["after"]) == (
        later.target,
        "ttft_ms",
        260.0,
    )
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
