"""The action's ``run`` step, inside the virtual environment the install step made:
``benchsync apply`` (or ``check``) for the checked inputs, in this process, so that
``apply`` writes the step outputs and the step summary itself (:mod:`.action` reads and
checks the inputs, and installs)."""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .action import (
    EXIT_USAGE,
    WEBSITE_REPORT,
    InputError,
    Inputs,
    benchsync_argv,
    error_line,
    one_line,
    read_inputs,
)


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
        say(["check", "--website", "--format=json"], f" > {report}")
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
    say(argv)
    return benchsync(argv)


def say(argv: Sequence[str], tail: str = "") -> None:
    """Echo the benchsync command line, on one line whatever its values hold."""
    from benchsync_hooks.git.repo import redact_urls

    print(one_line(redact_urls(shlex.join(["benchsync", *argv])) + tail), flush=True)


def main() -> int:
    """The run step: the inputs checked again, then :func:`run`; a bad one is one line."""
    try:
        inputs = read_inputs(os.environ)
        return run(inputs, runner_temp=Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()))
    except InputError as exc:
        error_line(str(exc))
        return EXIT_USAGE
