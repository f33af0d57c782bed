"""The GitHub Action (``action.yml``): read its inputs, install benchsync, run it.

``action.yml`` passes every input as an ``INPUT_*`` environment variable (never as shell
text) and runs this file twice:

- ``python3 -I .../benchsync_hooks/action.py install`` with the runner's Python: checks
  the inputs (one line for a bad one, before anything is installed), then makes a fresh
  virtual environment: the uv that ``constraints-uv.txt`` locks installs the wheels that
  ``constraints.txt`` locks, each checked against its hash, and the action's own
  checkout goes on its path. Standard library only, and run by path with ``-I``, so that
  neither the package's folders nor the user's ``PYTHONPATH`` shadow a module.
- ``$VENV/bin/python -I -m benchsync_hooks.action run`` inside that environment: checks
  the inputs again and runs ``benchsync apply`` (or ``check``) in this process, so that
  ``apply`` writes the step outputs and the step summary itself (:mod:`.action_run`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
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
#: the lock files at the action's root: benchsync's dependencies, and the uv installing them
LOCK = "constraints.txt"
UV_LOCK = "constraints-uv.txt"
#: the venv's path file that puts the action's checkout on ``sys.path``
PTH = "benchsync-action.pth"
#: uv settings (environment variables, by prefix) the install passes on to uv
UV_PASSED = (
    "UV_INDEX",  # UV_INDEX, UV_INDEX_URL, UV_INDEX_STRATEGY, UV_INDEX_<NAME>_USERNAME ...
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_OFFLINE",
    "UV_HTTP_TIMEOUT",
    "UV_NATIVE_TLS",
    "UV_SYSTEM_CERTS",
    "UV_INSECURE_HOST",
    "UV_KEYRING_PROVIDER",
)
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


def one_line(text: str) -> str:
    """``text`` with each character that is not printable (a line break, an escape...) shown
    as its escape (``\\n``): no input (a ref from a dispatch payload) can start a line that
    GitHub Actions reads as a workflow command. ``report.visible``, which the install step
    cannot import, does the same (a test checks that they agree)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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
    for name in ("source", "ref", "branch", "base"):
        value = getattr(inputs, name)
        if not value.isprintable():  # (no URL, path or git ref holds a control character)
            raise InputError(
                f"input {name} must not hold a line break or other control character: "
                f"{one_line(value)}"
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


def uv_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for uv: of its own settings, only where packages come from (an index, a
    mirror, a folder of wheels) and how to reach it; the others (a cache, a link mode,
    overrides) are the install's to decide."""
    return {
        name: value
        for name, value in env.items()
        if not name.startswith("UV_") or name.startswith(UV_PASSED)
    }


def install_commands(
    *, project: Path, venv: Path, work: Path, python: str, pip: str
) -> list[tuple[str, list[str]]]:
    """The install, each command with the name its error line gives it.

    ``pip`` (an interpreter with pip) installs uv as ``constraints-uv.txt`` pins it into
    ``work``; uv makes ``venv`` from ``python`` (no pip in it) and installs exactly what
    ``constraints.txt`` locks. Both check every file against the lock's sha256 and take
    wheels only (building an sdist would run code no hash covers). uv's cache is
    ``work/cache``: new for this install, as uv does not check its cache against hashes.
    """
    uv = str(work / "uv" / "bin" / "uv")  # Linux and macOS runners
    settings = ["--quiet", "--no-config", "--cache-dir", str(work / "cache")]
    checked = ["--require-hashes", "--only-binary", ":all:"]
    return [
        (
            "pip install uv",
            [
                *(pip, "-m", "pip", "install", "--quiet", "--no-input"),
                *("--disable-pip-version-check", "--no-deps", "--no-compile", *checked),
                *("--target", str(work / "uv"), "-r", str(project / UV_LOCK)),
            ],
        ),
        ("uv venv", [uv, "venv", *settings, "--clear", "--python", python, str(venv)]),
        (
            "uv pip install",
            [
                *(uv, "pip", "install", *settings, *checked),
                *("--python", str(venv / "bin" / "python"), "-r", str(project / LOCK)),
            ],
        ),
    ]


def install(*, project: Path, venv: Path) -> int:
    """Run :func:`install_commands` in a folder of its own (removed after), then put the
    action's checkout on the venv's path (a ``.pth`` file: nothing to build)."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{venv.name}-install-", dir=venv.parent))
    env = uv_environment(os.environ)
    env.setdefault("PIP_ROOT_USER_ACTION", "ignore")  # pip installs into `work` only
    try:
        pip, prepare = sys.executable, []
        if importlib.util.find_spec("pip") is None:  # a bare system Python: a venv's pip
            pip = str(work / "pip" / "bin" / "python")
            prepare = [("python -m venv", [sys.executable, "-m", "venv", str(work / "pip")])]
        commands = prepare + install_commands(
            project=project, venv=venv, work=work, python=sys.executable, pip=pip
        )
        for what, command in commands:
            done = subprocess.run(command, env=env, check=False)
            if done.returncode:
                error_line(
                    f"installing benchsync from {project} failed: {what} exited "
                    f"{done.returncode} (its lines are above)"
                )
                return done.returncode
        [site] = venv.glob("lib/python*/site-packages")
        (site / PTH).write_text(f"{project}\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"benchsync installed into {venv} (from {project}; each dependency checked "
        f"against its sha256 in {LOCK})"
    )
    return 0


def error_line(message: str) -> None:
    """One line; under GitHub Actions an error annotation as well."""
    message = one_line(message).replace("%", "%25")
    print(f"::error title=benchsync::{message}", file=sys.stderr, flush=True)


USAGE = "usage: action.py install | run   (run by action.yml; inputs in INPUT_* variables)"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["install"], ["run"]):
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    if args == ["run"]:  # inside the venv, where the package is (its own InputError class)
        from benchsync_hooks.action_run import main as run

        return run()
    try:
        read_inputs(os.environ)
        venv = os.environ.get("BENCHSYNC_VENV", "")
        if not venv:
            raise InputError("BENCHSYNC_VENV is not set (action.yml sets it)")
        return install(project=Path(__file__).resolve().parents[1], venv=Path(venv))
    except InputError as exc:
        error_line(str(exc))
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
