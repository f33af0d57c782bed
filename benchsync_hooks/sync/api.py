"""One GitHub API call under the retry policy, its failures as one line each.

:func:`call` retries 5xx with exponential backoff, waits out 403/429 rate limits
(``Retry-After`` or ``x-ratelimit-reset``, bounded by ``api_max_wait``) and turns
401/403/404 and answers PyGithub cannot read into one line that names the likely cause.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import PublishError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 120.0
    sleep: Callable[[float], None] = time.sleep


def status_of(exc: Exception) -> int | None:
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
            status = status_of(exc)
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
