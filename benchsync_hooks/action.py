"""The GitHub Action (``action.yml``): read its inputs, install benchsync, run it.

``action.yml`` passes every input as an ``INPUT_*`` environment variable (never as shell
text) and runs this file twice:

- ``python3 -I .../benchsync_hooks/action.py install`` with the runner's Python: checks
  the inputs (one line for a bad one, before anything is installed), then installs the
  action's own checkout into a fresh virtual environment. Standard library only, and run
  by path with ``-I``, so that neither the package's folders nor the user's ``PYTHONPATH``
  shadow a module.
- ``$VENV/bin/python -I -m benchsync_hooks.action run`` inside that environment: checks
  the inputs again and runs ``benchsync apply`` (or ``check``) in this process, so that
  ``apply`` writes the step outputs and the step summary itself.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MODES = ("sync", "check", "check-website")
#: the spellings GitHub's own ``core.getBooleanInput`` accepts
BOOLEANS = dict.fromkeys(("true", "True", "TRUE"), True)
BOOLEANS.update(dict.fromkeys(("false", "False", "FALSE"), False))
#: pip ≥ 22.3 installs into another interpreter's environment (``pip --python``)
PIP_PYTHON_OPTION = (22, 3)
WEBSITE_REPORT = "benchsync-website-check.json"
EXIT_USAGE = 2
#: the true/false inputs, by their field names in :class:`Inputs` (``-`` for ``_`` in YAML)
SWITCHES = (
    "push",
    "open_pr",
    "commit",
    "skip_invalid",
    "dry_run",
    "website_report",
    "fail_on_regression",
)


class InputError(Exception):
    """An input the action cannot use: reported as one line, exit 2."""


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, checked (``action.yml`` documents each)."""

    mode: str
    source: str
    ref: str
    branch: str
    base: str
    push: bool
    open_pr: bool
    commit: bool
    skip_invalid: bool
    dry_run: bool
    website_report: bool
    fail_on_regression: bool


def _text(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip()


def _boolean(env: Mapping[str, str], name: str) -> bool:
    value = _text(env, name)
    if value not in BOOLEANS:
        raise InputError(f"input {name} must be true or false, not {value!r}")
    return BOOLEANS[value]


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """The inputs from ``INPUT_*`` variables, or :class:`InputError` naming the bad one."""
    mode = _text(env, "mode") or "sync"
    if mode not in MODES:
        raise InputError(f"input mode must be one of {', '.join(MODES)}, not {mode!r}")
    switches = {name: _boolean(env, name.replace("_", "-")) for name in SWITCHES}
    inputs = Inputs(
        mode=mode,
        source=_text(env, "source"),
        ref=_text(env, "ref"),
        branch=_text(env, "branch"),
        base=_text(env, "base"),
        **switches,
    )
    if mode == "sync" and not inputs.source:
        raise InputError(
            "input source is required with mode: sync (the benchmark repository's git URL or path)"
        )
    if mode == "sync" and not inputs.commit and (inputs.push or inputs.open_pr):
        raise InputError(
            "input commit: false only writes the files; set push: false and open-pr: false "
            "too (a later step such as create-pull-request commits and opens the PR)"
        )
    return inputs


def benchsync_argv(inputs: Inputs, *, website_report: Path | None = None) -> list[str]:
    """The ``benchsync`` arguments for these inputs (values as ``--option=value``, so a
    value that starts with ``-`` is never read as an option)."""
    if inputs.mode == "check":
        return ["check"]
    if inputs.mode == "check-website":
        return ["check", "--website"]
    argv = ["apply", f"--source={inputs.source}"]
    for option, value in (
        ("--ref", inputs.ref),
        ("--branch", inputs.branch),
        ("--base", inputs.base),
    ):
        if value:
            argv.append(f"{option}={value}")
    if inputs.dry_run:  # writes nothing: no branch to push, no pull request
        argv.append("--dry-run")
    else:
        argv += [
            flag
            for flag, on in (
                ("--no-commit", not inputs.commit),
                ("--push", inputs.push),
                ("--open-pr", inputs.open_pr),
            )
            if on
        ]
    if inputs.skip_invalid:
        argv.append("--skip-invalid")
    if inputs.fail_on_regression:
        argv.append("--fail-on-regression")
    if website_report is not None:
        argv.append(f"--website-report={website_report}")
    return argv


# --- install: the runner's Python, standard library only ----------------------------------


def _pip_version() -> tuple[int, ...]:
    """This interpreter's pip version, or () when it has none."""
    from importlib import metadata

    try:
        release = metadata.version("pip").split(".")
    except metadata.PackageNotFoundError:
        return ()
    return tuple(int(part) for part in release[:2] if part.isdigit())


def install_commands(
    *, project: Path, venv: Path, python: str, pip_version: tuple[int, ...]
) -> tuple[list[str], list[str]]:
    """Create ``venv`` afresh and install ``project`` (with the ``github`` extra) into it.

    When ``python``'s pip (``pip_version``) can install into another environment
    (``--python``), the venv is made without pip of its own (seconds saved); else the
    venv's bundled pip installs. Byte-compiling is skipped: ``apply`` compiles only the
    modules it imports.
    """
    outer = pip_version >= PIP_PYTHON_OPTION
    create = [python, "-m", "venv", "--clear", *(["--without-pip"] if outer else []), str(venv)]
    target = str(venv / "bin" / "python")  # Linux and macOS runners
    pip = [python, "-m", "pip", "--python", target] if outer else [target, "-m", "pip"]
    requirement = f"benchsync-hooks[github] @ {project.resolve().as_uri()}"
    options = ["--quiet", "--no-input", "--disable-pip-version-check", "--no-compile"]
    return create, [*pip, "install", *options, requirement]


def install(*, project: Path, venv: Path) -> int:
    """Run :func:`install_commands` with ``constraints.txt`` pinning every distribution,
    the build backend included."""
    constraints = str(project / "constraints.txt")
    env = {**os.environ, "PIP_CONSTRAINT": constraints, "PIP_BUILD_CONSTRAINT": constraints}
    create, pip = install_commands(
        project=project, venv=venv, python=sys.executable, pip_version=_pip_version()
    )
    for what, command in (("python -m venv", create), ("pip install", pip)):
        done = subprocess.run(command, env=env, check=False)
        if done.returncode:
            _error(
                f"installing benchsync from {project} failed: {what} exited "
                f"{done.returncode} (its lines are above)"
            )
            return done.returncode
    print(f"benchsync installed into {venv} (from {project})")
    return 0


# --- run: inside the venv -----------------------------------------------------------------


def run(inputs: Inputs, *, runner_temp: Path) -> int:
    """``benchsync`` for ``inputs`` in this process (it writes outputs and summary)."""
    from benchsync_hooks.cli import main as benchsync

    sync = inputs.mode == "sync"
    if sync and inputs.open_pr and not inputs.dry_run and not os.environ.get("GITHUB_TOKEN"):
        raise InputError(
            "input token is empty: open-pr needs a token with contents: write and "
            "pull-requests: write (the default is github.token)"
        )
    report = None
    if sync and inputs.website_report:
        report = runner_temp / WEBSITE_REPORT
        _say(["check", "--website", "--format=json"], f" > {report}")
        with report.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
            code = benchsync(["check", "--website", "--format=json"])
        if code == EXIT_USAGE:  # e.g. no data/results/ yet: apply says it if it matters
            print(
                "::warning title=benchsync::the website check did not run (the line above "
                "says why); syncing without its report",
                flush=True,
            )
            report = None
    argv = benchsync_argv(inputs, website_report=report)
    _say(argv)
    return benchsync(argv)


def _say(argv: Sequence[str], tail: str = "") -> None:
    from benchsync_hooks.git.repo import redact_urls

    print(redact_urls(shlex.join(["benchsync", *argv])) + tail, flush=True)


def _error(message: str) -> None:
    """One line; under GitHub Actions an error annotation as well."""
    message = message.replace("%", "%25").replace("\r", " ").replace("\n", " ")
    print(f"::error title=benchsync::{message}", file=sys.stderr, flush=True)


USAGE = "usage: action.py install | run   (run by action.yml; inputs in INPUT_* variables)"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["install"], ["run"]):
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    try:
        inputs = read_inputs(os.environ)
        if args == ["install"]:
            venv = os.environ.get("BENCHSYNC_VENV", "")
            if not venv:
                raise InputError("BENCHSYNC_VENV is not set (action.yml sets it)")
            return install(project=Path(__file__).resolve().parents[1], venv=Path(venv))
        return run(inputs, runner_temp=Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()))
    except InputError as exc:
        _error(str(exc))
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
