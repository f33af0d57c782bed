"""The ``benchsync`` command: argparse subcommands over typed command functions.

Every user-facing failure is a :class:`BenchsyncError` turned into one line and
an exit code here, in one place.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .arguments import BadUsage, asks_for_json, build_parser, parse
from .errors import EXIT_USAGE, BenchsyncError
from .report import github_error, in_github_actions, md_cell, step_summary, visible
from .stopping import EXIT_TERMINATED, Terminated, sigterm_ends_cleanly


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse(parser, words)
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    except BadUsage as exc:
        sys.stderr.write(f"{exc.prog}: error: {exc.message}\n")
        if in_github_actions():
            sys.stderr.write(github_error(f"{exc.prog}: {exc.message}") + "\n")
        if asks_for_json(words):  # stdout is one JSON document, for this failure too
            _json_failure(f"{exc.prog}: {exc.message}", EXIT_USAGE)
        return EXIT_USAGE
    with sigterm_ends_cleanly():
        return _run(args)


def _json_failure(message: str, code: int) -> None:
    import json

    doc = {"ok": False, "error": message, "exit_code": code, "problems": []}
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


def _run(args: argparse.Namespace) -> int:
    try:
        return dispatch(args)
    except BenchsyncError as exc:
        return _fail(args, exc.message, exc.exit_code, reported=exc.reported)
    except (KeyboardInterrupt, Terminated) as exc:
        by = "Ctrl-C (SIGINT)" if isinstance(exc, KeyboardInterrupt) else "SIGTERM"
        after = ""
        if args.command == "apply":  # (where it stopped is not known: what holds anyway)
            after = "; every website file is whole, as it was or synced: run it again to finish"
        sys.stderr.write(f"benchsync {args.command}: stopped by {by}{after}\n")
        return 130 if isinstance(exc, KeyboardInterrupt) else EXIT_TERMINATED
    except BrokenPipeError:
        return 1
    except OSError as exc:  # the file system said no: an environment error, not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{exc.strerror or exc}; check permissions and free space"
        return _fail(args, message, EXIT_USAGE)


def _fail(args: argparse.Namespace, message: str, code: int, *, reported: bool = False) -> int:
    """One line on stderr; with JSON output also one JSON document on stdout (unless the
    command already printed its document: ``reported``)."""
    sys.stderr.write(f"benchsync {args.command}: {visible(message)}\n")
    if in_github_actions():  # an annotation on the run's page, and the step summary
        sys.stderr.write(github_error(f"benchsync {args.command}: {message}") + "\n")
        step_summary(f"### benchsync {args.command} failed\n\n{md_cell(message)}\n")
    if reported:
        return code
    if getattr(args, "format", None) == "json" or getattr(args, "json", False):
        _json_failure(message, code)
    return code


def dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command in ("schema", "layout") and not args.files:  # (pre-commit always names some)
        sys.stderr.write(
            f"benchsync {command}: no FILE given, nothing checked (pre-commit passes the "
            "staged results; 'benchsync check' checks the whole repository)\n"
        )
    if command == "schema":
        from .commands import schema

        return schema.run(args.files, schema=args.schema, fmt=args.format)
    if command == "layout":
        from .commands import layout

        return layout.run(args.files, fmt=args.format)
    if command == "manifest":
        from .commands import manifest

        return manifest.run(check=args.check, rebuild=args.rebuild, fmt=args.format)
    if command == "check":
        from .commands import check

        return check.run(website=args.website, fmt=args.format)
    if command == "apply":
        from .commands import apply

        if args.open_pr:  # before any work is done
            from .sync.github import require_pygithub

            require_pygithub()

        return apply.run(
            apply.ApplyOptions(
                source=args.source,
                ref=args.ref,
                website=args.website,
                branch=args.branch,
                base=args.base,
                dry_run=args.dry_run,
                json=args.json,
                no_commit=args.no_commit,
                skip_invalid=args.skip_invalid,
                push=args.push,
                remote=args.remote,
                open_pr=args.open_pr,
                repo=args.repo,
                token_env=args.token_env,
                website_report=args.website_report,
                fail_on_regression=args.fail_on_regression,
            )
        )
    if command == "demo":
        from .commands import demo

        return demo.run(keep=args.keep)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands
