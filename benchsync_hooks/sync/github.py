"""Open, update or close the one sync pull request through the GitHub REST API (PyGithub).

PyGithub's own retries are switched off; every call goes through :func:`call`,
which retries 5xx with exponential backoff, waits out 403/429 rate limits
(``Retry-After`` or ``x-ratelimit-reset``, bounded by ``api_max_wait``) and turns
401/404 into one line that names the likely cause.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from ..config import Config
from ..errors import PublishError
from .prbody import PullRequest

T = TypeVar("T")

#: Color and description of the labels benchsync creates, and of the regression label.
SYNC_LABEL = ("0e8a16", "benchsync: results synced from the benchmark repository")
REGRESSION_LABEL = ("d73a4a", "benchsync: a metric got worse than in its earlier run")


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


def _seconds(text: str) -> float | None:
    """A header's number of seconds; None for one that is no finite number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _rate_limit_wait(exc: Exception) -> float | None:
    """Seconds to wait for a rate limit, or None when the 403/429 is not one (or its
    headers are not numbers)."""
    headers = _headers(exc)
    if "retry-after" in headers:
        wait = _seconds(headers["retry-after"])
        return None if wait is None else max(0.0, wait)
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        reset = _seconds(headers["x-ratelimit-reset"])
        return None if reset is None else max(0.0, reset - time.time())
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
                    shown = f"{wait:,.0f} s" if wait < 1e9 else "more than 10^9 s"
                    raise PublishError(
                        f"GitHub rate limit while trying to {what}: it asks to wait {shown}, "
                        f"more than api_max_wait={policy.max_wait:g} s; run again later"
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
        except PublishError:
            raise
        except Exception as exc:  # an answer PyGithub cannot read: not JSON, wrong types, ...
            raise PublishError(
                f"GitHub answered something unexpected while trying to {what} "
                f"({type(exc).__name__}); check GITHUB_API_URL and run again"
            ) from None


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
            "(pull-requests: write, which covers labels too)" + (f" — {detail}" if detail else "")
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
    """Create, update, leave or close the sync pull request; labels included.

    Every message is redacted: an API answer that echoes the token never prints it.
    """
    policy = policy or RetryPolicy(config.api_retries, config.api_backoff, config.api_max_wait)
    try:
        return _publish(
            api_url=api_url,
            token=token,
            repo_name=repo_name,
            target=(branch, base),
            pr=pr,
            changed=changed,
            something=something,
            config=config,
            policy=policy,
        )
    except PublishError as exc:
        raise PublishError(redact(exc.message, token)) from None


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _checked(pull: Any) -> Any:
    """A pull request whose number and URL have the types the API promises."""
    number, url = pull.number, pull.html_url
    if isinstance(number, bool) or not isinstance(number, int) or not isinstance(url, str):
        raise PublishError("GitHub answered a pull request without a number or URL")
    return pull


def _publish(
    *,
    api_url: str,
    token: str,
    repo_name: str,
    target: tuple[str, str],
    pr: PullRequest,
    changed: bool,
    something: bool,
    config: Config,
    policy: RetryPolicy,
) -> PrResult:
    branch, base = target
    if "/" not in repo_name:
        raise PublishError(f"--repo must be OWNER/NAME, got {repo_name!r}")
    owner = repo_name.split("/", 1)[0]
    try:
        repo = client(api_url, token, config.api_write_interval).get_repo(repo_name)
    except Exception as exc:  # PyGithub refuses the address itself (scheme, host)
        raise PublishError(
            f"GITHUB_API_URL {api_url!r} is not an address PyGithub can use "
            f"({type(exc).__name__}); unset it for github.com"
        ) from None
    existing = call(
        f"list open pull requests of {repo_name}",
        lambda: [
            _checked(p) for p in repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base)
        ],
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
        _labels(repo, current, pr, policy=policy)
        return PrResult(current.number, current.html_url, "updated")
    created = call(
        f"create the pull request {branch} → {base} in {repo_name}",
        lambda: _checked(repo.create_pull(title=pr.title, body=pr.body, head=branch, base=base)),
        policy,
    )
    _labels(repo, created, pr, policy=policy)
    return PrResult(created.number, created.html_url, "created")


def _tolerating(status: int, action: Callable[[], object]) -> None:
    """Run ``action``; the answer ``status`` counts as done (422 on creating a label: created
    meanwhile; 404 on removing one: not on the pull request any more)."""
    from github import GithubException

    try:
        action()
    except GithubException as exc:
        if _status(exc) != status:
            raise


def _labels(repo: Any, pull: Any, pr: PullRequest, *, policy: RetryPolicy) -> None:
    """Create the labels the repository lacks, then add them (retrying 422 right after);
    remove the regression label from a pull request that no longer has a regression."""
    labels = pr.labels
    present = call(
        "list the repository's labels", lambda: {label.name for label in repo.get_labels()}, policy
    )
    for name in labels:
        if name not in present:
            color, text = REGRESSION_LABEL if name == pr.regression_label else SYNC_LABEL
            create = partial(repo.create_label, name, color, text)
            call(f"create label {name!r}", partial(_tolerating, 422, create), policy)
    call(
        f"add labels to pull request #{pull.number}",
        lambda: pull.add_to_labels(*labels),
        policy,
        retry_422=True,
    )
    stale = pr.regression_label
    if stale and stale not in labels and stale in {label.name for label in pull.labels or ()}:
        remove = partial(pull.remove_from_labels, stale)
        call(
            f"remove label {stale!r} from pull request #{pull.number}",
            partial(_tolerating, 404, remove),
            policy,
        )
