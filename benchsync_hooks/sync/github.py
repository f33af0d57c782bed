"""Open, update or close the one sync pull request through the GitHub REST API (PyGithub).

PyGithub's own retries are switched off; every call goes through :func:`.api.call`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..config import Config
from ..errors import PublishError, UsageError
from .api import RetryPolicy, call, status_of
from .prbody import PullRequest

#: Color and description of the labels benchsync creates, and of the regression label.
SYNC_LABEL = ("0e8a16", "benchsync: results synced from the benchmark repository")
REGRESSION_LABEL = ("d73a4a", "benchsync: a metric got worse than in its earlier run")


@dataclass(frozen=True)
class PrResult:
    number: int | None
    url: str | None
    operation: str  # created | updated | closed | none


#: What ``--open-pr`` says when the package was installed without its ``[github]`` extra.
NEEDS_PYGITHUB = "--open-pr needs PyGithub: pip install 'benchsync-hooks[github]'"


def require_pygithub() -> None:
    """A :class:`UsageError` (exit 2) unless PyGithub can be imported."""
    try:
        import github  # noqa: F401
    except ImportError:
        raise UsageError(NEEDS_PYGITHUB) from None


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
    require_pygithub()
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
        if status_of(exc) != status:
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
