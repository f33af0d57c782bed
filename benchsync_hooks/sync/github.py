"""Open, update or close the one sync pull request through the GitHub REST API (PyGithub).

PyGithub's own retries are switched off; every call goes through :func:`call`,
which retries 5xx with exponential backoff, waits out 403/429 rate limits
(``Retry-After`` or ``x-ratelimit-reset``, bounded by ``api_max_wait``) and turns
401/404 into one line that names the likely cause.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from ..config import Config
from ..errors import PublishError
from .prbody import PullRequest

T = TypeVar("T")

LABEL_COLOR = "0e8a16"


@dataclass(frozen=True)
class PrResult:
    number: int | None
    url: str | None
    operation: str  # created | updated | closed | none


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 120.0
    sleep: Callable[[float], None] = time.sleep


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def _headers(exc: Exception) -> dict[str, str]:
    headers = getattr(exc, "headers", None) or {}
    return {str(k).lower(): str(v) for k, v in dict(headers).items()}


def _rate_limit_wait(exc: Exception) -> float | None:
    """Seconds to wait for a rate limit, or None when the 403/429 is not one."""
    headers = _headers(exc)
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return None
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
        except ValueError:
            return None
    return None


def call(
    what: str,
    action: Callable[[], T],
    policy: RetryPolicy,
    *,
    retry_422: bool = False,
) -> T:
    """Run one API call under the retry policy; failures become a :class:`PublishError`."""
    from github import GithubException

    attempt = 0
    while True:
        try:
            return action()
        except GithubException as exc:
            status = _status(exc)
            attempt += 1
            wait: float | None = None
            if status is not None and status >= 500:
                wait = policy.backoff * (2 ** (attempt - 1))
            elif status in (403, 429):
                wait = _rate_limit_wait(exc)
                if wait is not None and wait > policy.max_wait:
                    raise PublishError(
                        f"GitHub rate limit while trying to {what}: it resets in {wait:.0f}s, "
                        f"more than api_max_wait={policy.max_wait:g}s; run again later"
                    ) from None
            elif status == 422 and retry_422:
                wait = policy.backoff * (2 ** (attempt - 1))
            if wait is None or attempt > policy.retries:
                raise PublishError(_explain(what, status, exc)) from None
            policy.sleep(wait)
        except OSError as exc:
            attempt += 1
            if attempt > policy.retries:
                raise PublishError(f"cannot reach the GitHub API to {what}: {exc}") from None
            policy.sleep(policy.backoff * (2 ** (attempt - 1)))


def _explain(what: str, status: int | None, exc: Exception) -> str:
    data = getattr(exc, "data", None)
    detail = data.get("message") if isinstance(data, dict) else None
    if status == 401:
        return (
            f"GitHub refused the token while trying to {what} (401 Bad credentials): "
            "check that the token is set and not expired"
        )
    if status == 404:
        return (
            f"GitHub answered 404 while trying to {what}: check --repo OWNER/NAME and that "
            "the token can see the repository (scope repo / pull-requests: write)"
        )
    if status == 403:
        return (
            f"GitHub answered 403 while trying to {what}: the token lacks permission "
            "(pull-requests: write, issues: write for labels)" + (f" — {detail}" if detail else "")
        )
    if status is not None and status >= 500:
        return f"GitHub kept failing ({status}) while trying to {what}; run again later"
    return f"GitHub answered {status} while trying to {what}" + (f": {detail}" if detail else "")


def client(api_url: str, token: str, write_interval: float) -> Any:
    from github import Auth, Github

    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        retry=None,
        timeout=30,
        seconds_between_requests=min(write_interval, 0.25),
        seconds_between_writes=write_interval,
        lazy=True,
    )


def publish(
    *,
    api_url: str,
    token: str,
    repo_name: str,
    branch: str,
    base: str,
    pr: PullRequest,
    changed: bool,
    something: bool,
    config: Config,
    policy: RetryPolicy | None = None,
) -> PrResult:
    """Create, update, leave or close the sync pull request; labels included."""
    policy = policy or RetryPolicy(config.api_retries, config.api_backoff, config.api_max_wait)
    if "/" not in repo_name:
        raise PublishError(f"--repo must be OWNER/NAME, got {repo_name!r}")
    owner = repo_name.split("/", 1)[0]
    gh = client(api_url, token, config.api_write_interval)
    repo = gh.get_repo(repo_name)
    existing = call(
        f"list open pull requests of {repo_name}",
        lambda: list(repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base)),
        policy,
    )
    current = existing[0] if existing else None
    if not something:
        if current is None:
            return PrResult(None, None, "none")
        call(
            f"comment on pull request #{current.number}",
            lambda: current.create_issue_comment(
                "Nothing is left to sync: every result of this pull request is already on "
                f"`{base}`. Closed by benchsync."
            ),
            policy,
        )
        call(f"close pull request #{current.number}", lambda: current.edit(state="closed"), policy)
        return PrResult(current.number, current.html_url, "closed")
    if current is not None:
        if not changed:
            return PrResult(current.number, current.html_url, "none")
        call(
            f"update pull request #{current.number}",
            lambda: current.edit(title=pr.title, body=pr.body),
            policy,
        )
        _labels(repo, current, pr.labels, policy)
        return PrResult(current.number, current.html_url, "updated")
    created = call(
        f"create the pull request {branch} → {base} in {repo_name}",
        lambda: repo.create_pull(title=pr.title, body=pr.body, head=branch, base=base),
        policy,
    )
    _labels(repo, created, pr.labels, policy)
    return PrResult(created.number, created.html_url, "created")


def _labels(repo: Any, pull: Any, labels: tuple[str, ...], policy: RetryPolicy) -> None:
    """Create the labels the repository lacks, then add them (retrying 422 right after)."""
    from github import GithubException

    def create(name: str) -> None:
        try:
            repo.create_label(name, LABEL_COLOR)
        except GithubException as exc:
            if _status(exc) != 422:  # 422: created meanwhile by someone else
                raise

    present = call(
        "list the repository's labels", lambda: {label.name for label in repo.get_labels()}, policy
    )
    for name in labels:
        if name not in present:
            call(f"create label {name!r}", partial(create, name), policy)
    call(
        f"add labels to pull request #{pull.number}",
        lambda: pull.add_to_labels(*labels),
        policy,
        retry_422=True,
    )
