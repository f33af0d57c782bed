"""The ``benchsync`` command: argparse subcommands over typed command functions.

Every user-facing failure is a :class:`BenchsyncError` turned into one line and
an exit code here, in one place.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .errors import EXIT_USAGE, BenchsyncError
from .report import FORMATS, github_error, in_github_actions, md_cell, step_summary, visible
from .stopping import EXIT_TERMINATED, Terminated, sigterm_ends_cleanly

EPILOG = """exit codes: 0 all good / nothing to do, 1 problems found (or files written),
2 usage or environment error. Docs: https://github.com/benchsync/benchsync-hooks#readme"""


class _Help(argparse.HelpFormatter):
    """argparse's help, wrapped without breaking a word (or the docs' address) at a hyphen."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: text; under GitHub Actions text plus annotations)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchsync",
        description="Check benchmark leaderboard results and sync them to a website repository.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "schema",
        help="strict JSON + JSON Schema check of each file",
        description="Check each FILE: strict JSON (UTF-8, no duplicate keys, no NaN, size and "
        "depth limits), the leaderboard schema, and the rules the website documents.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    p.add_argument(
        "--schema", metavar="PATH", help="a JSON Schema to use instead of the bundled one"
    )
    _add_format(p)
    p.add_argument("files", nargs="*", metavar="FILE")

    p = sub.add_parser(
        "layout",
        help="directory convention, path/content consistency, repo-wide uniqueness",
        description="Check that each FILE sits at outputs/<backend>/<model>/<run_id>/"
        "<name>_leaderboard.json, agrees with its path, and clashes with no other result.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    _add_format(p)
    p.add_argument("files", nargs="*", metavar="FILE")

    p = sub.add_parser(
        "manifest",
        help="regenerate the sync manifest from the git index",
        description="Write outputs/sync-manifest.json from the leaderboard files in the git "
        "index. Exit 1 when it was written (git add it) or, with --check, when it is stale.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    p.add_argument("--check", action="store_true", help="only compare; never write")
    _add_format(p)

    p = sub.add_parser(
        "check",
        help="check the whole repository (for CI)",
        description="Benchmark side: every leaderboard file in the index passes schema and "
        "layout and the manifest is current. --website: every file under data/results/.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    p.add_argument("--website", action="store_true", help="check a website repository instead")
    _add_format(p)

    p = sub.add_parser(
        "apply",
        help="website side: verify a source's manifest and sync what is new or changed",
        description="Read the manifest and result blobs of a benchmark repository at REF (no "
        "checkout), verify every claim, copy only new or changed results into data/results/, "
        "commit them on a fixed branch and write the pull request's title, labels and body.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    p.add_argument("--source", required=True, metavar="SRC", help="benchmark repo path or git URL")
    p.add_argument(
        "--ref",
        help="branch, tag or commit of the source (default: a URL's default branch, a local "
        "checkout's current branch)",
    )
    p.add_argument("--website", default=".", metavar="DIR", help="website repository (default: .)")
    p.add_argument("--branch", metavar="B", help="sync branch (default: config branch)")
    p.add_argument(
        "--base",
        metavar="BASE",
        help="base branch (default: the current branch; on the sync branch, the base its "
        "last commit records)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan and PR; write nothing")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--no-commit", action="store_true", help="only write files into the working tree"
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="apply the valid files when some fail schema/layout (listed in the PR body)",
    )
    p.add_argument(
        "--push",
        action="store_true",
        help="push the sync branch (force-with-lease) when it changed",
    )
    p.add_argument(
        "--remote", default="origin", metavar="R", help="remote to push to (default: origin)"
    )
    p.add_argument(
        "--open-pr",
        action="store_true",
        help="open, update or close the sync pull request through the GitHub API",
    )
    p.add_argument(
        "--repo", metavar="OWNER/NAME", help="GitHub repository (default: $GITHUB_REPOSITORY)"
    )
    p.add_argument(
        "--token-env",
        default="GITHUB_TOKEN",
        metavar="NAME",
        help="environment variable holding the token (default: GITHUB_TOKEN)",
    )
    p.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a metric regressed, after the branch and pull request are written "
        "(with --dry-run too)",
    )
    p.add_argument(
        "--website-report",
        metavar="FILE",
        help="the output of 'benchsync check --website --format json': its problems are "
        "listed in the pull request body (they do not stop the sync)",
    )

    p = sub.add_parser(
        "demo",
        help="run the whole flow on bundled sample data in a temporary folder",
        description="Both halves on bundled samples: build a benchmark repository, run the "
        "hooks through pre-commit, fix what they find and commit; then build a website "
        "repository, run 'benchsync apply' from the benchmark repository, show the pull "
        "request body, and apply again (no new commit).",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and print it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    with sigterm_ends_cleanly():
        return _run(args)


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
        import json

        doc = {"ok": False, "error": message, "exit_code": code, "problems": []}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return code


def dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "schema":
        from .commands import schema

        return schema.run(args.files, schema=args.schema, fmt=args.format)
    if command == "layout":
        from .commands import layout

        return layout.run(args.files, fmt=args.format)
    if command == "manifest":
        from .commands import manifest

        return manifest.run(check=args.check, fmt=args.format)
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
