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
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODES = ("sync", "check", "check-website")
#: the spellings GitHub's own ``core.getBooleanInput`` accepts
BOOLEANS = dict.fromkeys(("true", "True", "TRUE"), True)
BOOLEANS.update(dict.fromkeys(("false", "False", "FALSE"), False))
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


def load_sibling(name: str) -> Any:
    """The module ``name`` of this folder, loaded by path: this file runs as a script with
    ``-I`` (no package, no ``sys.path`` entry of its folder), and another benchsync on the
    runner's Python must not stand in for it. Standard library modules only; each is also
    ``sys.modules["benchsync_action_<name>"]``, where a sibling loaded later finds it."""
    path = Path(__file__).resolve().with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"benchsync_action_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - a file of this folder
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


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
        step = load_sibling("action_install")
        load_sibling("uv_index")  # (before uv_wheel, which takes it from sys.modules)
        return int(
            step.install(
                project=Path(__file__).resolve().parents[1],
                venv=Path(venv),
                fetch_uv=load_sibling("uv_wheel").fetch_uv,
                error=error_line,
            )
        )
    except InputError as exc:
        error_line(str(exc))
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
