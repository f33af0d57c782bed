"""Open a repository and run git commands in it, through GitPython."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from ..errors import GitError, NotARepository

if TYPE_CHECKING:
    import git

T = TypeVar("T")


class GitRepo:
    """A repository: its work tree (or bare directory), common git directory, GitPython handle."""

    __slots__ = ("_repo", "git_dir", "root")

    def __init__(self, root: Path, git_dir: Path, repo: git.Repo) -> None:
        self.root = root
        self.git_dir = git_dir
        self._repo = repo

    @property
    def handle(self) -> git.Repo:
        return self._repo

    def run(
        self, *args: str, data: bytes | None = None, env: dict[str, str] | None = None
    ) -> tuple[int, bytes, str]:
        """Run ``git ARGS`` here; (status, stdout, stderr). Never raises on a non-zero exit."""
        from git.exc import GitCommandNotFound

        stdin = None
        if data is not None:
            try:
                stdin = tempfile.TemporaryFile()
                stdin.write(data)
                stdin.seek(0)
            except OSError as exc:  # (git's input goes through a file: no pipe to deadlock)
                if stdin is not None:
                    stdin.close()
                raise GitError(
                    f"cannot hold git {args[0]}'s input in a temporary file in "
                    f"{tempfile.gettempdir()}: {exc.strerror or exc}; free space there or set "
                    "TMPDIR"
                ) from None
        try:
            status, out, err = self._repo.git.execute(
                ["git", *args],
                istream=stdin,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                env=env,
            )
        except GitCommandNotFound:
            raise GitError("git is not installed; install git") from None
        finally:
            if stdin is not None:
                stdin.close()
        text = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err or "")
        return int(status or 0), bytes(out or b""), text

    def out(
        self, *args: str, data: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
        """Run ``git ARGS``; its stdout, or a :class:`GitError` naming the command."""
        status, out, err = self.run(*args, data=data, env=env)
        if status:
            raise GitError(f"git {args[0]} failed: {last_line(err)}")
        return out

    def text(self, *args: str) -> str:
        """The stripped stdout of a command that prints one value ("" on failure)."""
        status, out, _err = self.run(*args)
        return out.decode("utf-8", "surrogateescape").strip() if status == 0 else ""

    def object_format(self) -> str:
        """The repository's object ids: ``sha1`` (git's default) or ``sha256``
        (``extensions.objectFormat``, read from its config file, no process)."""
        try:
            value = self._repo.config_reader("repository").get_value(
                "extensions", "objectformat", "sha1"
            )
        except Exception:  # an unreadable config: git itself says so on the next command
            return "sha1"
        return str(value).lower()

    def close(self) -> None:
        """End GitPython's persistent ``cat-file`` processes."""
        self._repo.close()


_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def redact_urls(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it removed (a token never shows)."""
    return _USERINFO.sub(r"\g<scheme>", text)


def last_line(text: str) -> str:
    """The line of git's stderr that says why: its first ``fatal:``/``error:`` line (the
    lines after it are advice), else its last line."""
    text = redact_urls(text)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line[len(prefix) :]
    return lines[-1] if lines else "unknown error"


def _open(path: Path, *, search: bool) -> git.Repo:
    import git
    from git.exc import GitCommandNotFound

    try:
        return git.Repo(path, search_parent_directories=search)
    except git.NoSuchPathError:
        raise NotARepository(f"{path} does not exist; check the path") from None
    except git.InvalidGitRepositoryError:
        raise NotARepository(
            f"{path} is not inside a git repository; run benchsync in the repository "
            "(or 'git init' first)"
        ) from None
    except GitCommandNotFound:  # pragma: no cover - GitPython checks lazily
        raise GitError("git is not installed; install git") from None


def open_repo(start: Path) -> GitRepo:
    """The checkout that holds ``start``; a :class:`GitError` if there is none."""
    repo = _open(start, search=True)
    if repo.bare or repo.working_tree_dir is None:
        raise GitError(f"{start} is a bare repository; run benchsync in a checkout")
    return GitRepo(Path(repo.working_tree_dir).resolve(), Path(repo.common_dir).resolve(), repo)


def _name_git_dir(repo: git.Repo) -> None:
    """Make every git command of a bare repository's handle name it (``GIT_DIR``) rather
    than find it from its folder, which ``safe.bareRepository = explicit`` refuses (and
    which a ``GIT_DIR`` of the caller's environment would send elsewhere)."""
    if repo.bare:
        repo.git.update_environment(GIT_DIR=str(Path(repo.git_dir).resolve()))


def open_any(path: Path) -> GitRepo:
    """A repository at ``path``: a checkout (any folder inside it) or a bare repository."""
    repo = _open(path, search=True)
    _name_git_dir(repo)
    root = Path(repo.working_tree_dir or repo.git_dir).resolve()
    return GitRepo(root, Path(repo.common_dir).resolve(), repo)


@contextmanager
def scratch_bare() -> Iterator[GitRepo]:
    """A new, empty bare repository in a new temporary folder, removed when the block ends
    (also on an error). Nothing in it comes from anywhere else: no template (so no hooks,
    no ``info/``), its config only git's own lines and ``core.hooksPath`` set to an empty
    folder, so a fetch into it runs no hook and takes no object or setting of an earlier
    run. The user's own global git config still applies (credentials, proxies, rewrites)."""
    import shutil

    import git

    folder = Path(tempfile.mkdtemp(prefix="benchsync-source-")).resolve()
    repo: git.Repo | None = None
    try:
        bare, no_hooks = folder / "source.git", folder / "no-hooks"
        no_hooks.mkdir()
        status, _out, err = run_in(
            folder, f"--git-dir={bare}", "init", "-q", "--bare", "--template="
        )
        if status:
            raise GitError(f"cannot create a repository in {folder}: {last_line(err)}")
        repo = git.Repo(bare)
        _name_git_dir(repo)
        found = GitRepo(bare, bare, repo)
        found.out("config", "--local", "core.hooksPath", str(no_hooks))
        yield found
    finally:
        if repo is not None:
            repo.close()
        shutil.rmtree(folder, ignore_errors=True)


def run_in(cwd: Path, *args: str) -> tuple[int, str, str]:
    """``git ARGS`` in a folder that need not be a repository yet (the demo makes some)."""
    import git
    from git.exc import GitCommandNotFound

    try:
        status, out, err = git.Git(str(cwd)).execute(
            ["git", *args],
            with_extended_output=True,
            with_exceptions=False,
            strip_newline_in_stdout=False,
        )
    except GitCommandNotFound:
        raise GitError("git is not installed; install git") from None
    return int(status or 0), str(out), str(err)


class Background(Generic[T]):
    """A git call run on a thread, so git works on the other CPU while Python goes on."""

    def __init__(self, call: Callable[[], T]) -> None:
        import threading

        self._call = call
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
