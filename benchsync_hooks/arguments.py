"""The ``benchsync`` command line: its subcommands, options and help (argparse), and its
errors raised to :mod:`.cli`, which reports them.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import NoReturn

from . import __version__
from .report import FORMATS

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


class BadUsage(Exception):
    """What argparse refused (its usage lines are printed already)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog, self.message = prog, message


class _Parser(argparse.ArgumentParser):
    """argparse, its errors raised to :func:`main` (the subcommands' parsers are this class
    too) so that a JSON request gets its document for them as well."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise BadUsage(self.prog, message)


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: text; under GitHub Actions text plus annotations)",
    )


def _command(
    sub: argparse._SubParsersAction[_Parser],
    name: str,
    *,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    """One subcommand's parser, with the exit codes and the docs' address after its help."""
    return sub.add_parser(
        name, help=help, description=description, epilog=EPILOG, formatter_class=_Help
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="benchsync",
        description="Check benchmark leaderboard results and sync them to a website repository.",
        epilog=EPILOG,
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = _command(
        sub,
        "schema",
        help="strict JSON + JSON Schema check of each file",
        description="Check each FILE: strict JSON (UTF-8, no duplicate keys, no NaN, size and "
        "depth limits), the leaderboard schema, and the rules the website documents.",
    )
    p.add_argument(
        "--schema", metavar="PATH", help="a JSON Schema to use instead of the bundled one"
    )
    _add_format(p)
    p.add_argument("files", nargs="*", metavar="FILE")

    p = _command(
        sub,
        "layout",
        help="directory convention, path/content consistency, repo-wide uniqueness",
        description="Check that each FILE sits at outputs/<backend>/<model>/<run_id>/"
        "<name>_leaderboard.json, agrees with its path, and clashes with no other result.",
    )
    _add_format(p)
    p.add_argument("files", nargs="*", metavar="FILE")

    p = _command(
        sub,
        "manifest",
        help="regenerate the sync manifest from the git index",
        description="Write outputs/sync-manifest.json from the leaderboard files in the git "
        "index. Exit 1 when it was written (git add it) or, with --check, when it is stale.",
    )
    p.add_argument("--check", action="store_true", help="only compare; never write")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="read and check every result again instead of keeping the entries of the staged "
        "manifest whose files did not change (what 'benchsync check' compares with)",
    )
    _add_format(p)

    p = _command(
        sub,
        "check",
        help="check the whole repository (for CI)",
        description="Benchmark side: every leaderboard file in the index passes schema and "
        "layout and the manifest is current. --website: every file under data/results/.",
    )
    p.add_argument("--website", action="store_true", help="check a website repository instead")
    _add_format(p)

    p = _command(
        sub,
        "apply",
        help="website side: verify a source's manifest and sync what is new or changed",
        description="Read the manifest and result blobs of a benchmark repository at REF (no "
        "checkout), verify every claim, copy only new or changed results into data/results/, "
        "commit them on a fixed branch and write the pull request's title, labels and body.",
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

    p = _command(
        sub,
        "demo",
        help="run the whole flow on bundled sample data in a temporary folder",
        description="Both halves on bundled samples: build a benchmark repository, run the "
        "hooks through pre-commit, fix what they find and commit; then build a website "
        "repository, run 'benchsync apply' from the benchmark repository, show the pull "
        "request body, and apply again (no new commit).",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and print it")
    return parser


def parse(parser: argparse.ArgumentParser, words: list[str]) -> argparse.Namespace:
    """``words`` parsed; an option no command has is refused by its command's parser (its
    usage, not the top level's, is printed)."""
    args, extras = parser.parse_known_args(words)
    if extras:
        commands = {}
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            if isinstance(action, argparse._SubParsersAction):
                commands.update(action.choices)
        where = commands.get(args.command, parser)
        known = [name for action in where._actions for name in action.option_strings]
        close = difflib.get_close_matches(extras[0].partition("=")[0], known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        where.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    return args


def asks_for_json(words: list[str]) -> bool:
    """Whether arguments argparse refused ask for JSON output (``--json``, ``--format
    json``, ``--format=json``, or an abbreviation argparse takes for them), up to ``--``."""
    for at, word in enumerate(words):
        if word == "--":
            return False
        name, equals, value = word.partition("=")
        if len(name) < 3:  # (-h, -x, --)
            continue
        if "--json".startswith(name):  # (--json=1 too: refused, but asked for)
            return True
        if "--format".startswith(name):
            given = value if equals else (words[at + 1] if at + 1 < len(words) else "")
            if given == "json":
                return True
    return False
