"""User-facing failures: one exception family, each carrying its exit code.

Problems found *in files* are not exceptions (see :mod:`benchsync_hooks.report`);
these are for conditions that stop a command as a whole: bad usage, a bad
configuration, a missing repository, a manifest that lies.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class BenchsyncError(Exception):
    """A failure reported to the user as one line, with an exit code."""

    exit_code: int = EXIT_USAGE
    #: True when the command has already printed its result (its one JSON document):
    #: the error is then only the line on stderr and the exit code.
    reported: bool = False

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(BenchsyncError):
    """Wrong arguments or an environment the command cannot work in (exit 2)."""


class ConfigError(BenchsyncError):
    """The repository's benchsync configuration is invalid (exit 2)."""


class GitError(BenchsyncError):
    """Git could not do what was asked (not a repository, missing ref, ...) (exit 2)."""


class NotARepository(GitError):
    """A folder that is no git repository (or no folder at all)."""


class IntegrityError(BenchsyncError):
    """Something claimed by a manifest is false; nothing is written (exit 1)."""

    exit_code = 1


class LockedError(BenchsyncError):
    """Another benchsync process holds the lock (exit 2)."""


class PushError(BenchsyncError):
    """git push was refused (authentication, a moved branch); a rerun recovers (exit 1)."""

    exit_code = 1


class PublishError(BenchsyncError):
    """The GitHub API refused or failed (token, repository, limits) (exit 1)."""

    exit_code = 1


class RegressionsFound(BenchsyncError):
    """``apply --fail-on-regression`` found regressions, after its work and report (exit 1)."""

    exit_code = 1
    reported = True


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the closest of ``choices``, or ``""``: for messages."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"did you mean {close[0]!r}? " if close else ""
