"""A URL source is fetched each run into a new temporary repository benchsync makes itself:
nothing under the website's .git (a repository left there by a CI cache, say) runs a hook,
redirects the URL or supplies an object, and the fetch is gone when apply ends."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BRANCH, RUNS, Pair, git, init_repo, record_fetches, run_cli

from benchsync_hooks import samples

EVIL_RUNS = [samples.Run("cpu", "evil-model", "short", "20260128", 1, "short_input")]


@pytest.fixture
def urls(pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """The benchmark repository as a bare repository's file:// URL (two commits deep), and
    a repository of other results beside it, for a planted redirection to point at."""
    for key in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):  # the same commit ids each run
        monkeypatch.setenv(key, "1767225600 +0000")
    pair.publish(*RUNS[:2])
    pair.publish(*RUNS[2:])
    bare = tmp_path / "bench.git"
    git(tmp_path, "clone", "-q", "--bare", str(pair.bench.root), str(bare))
    evil = Pair.of(init_repo(tmp_path / "evil"), pair.site, pair.capsys).bench
    evil.publish(*EVIL_RUNS)
    git(tmp_path, "clone", "-q", "--bare", str(evil.root), str(tmp_path / "evil.git"))
    return bare.as_uri(), tmp_path


def _old_cache(pair: Pair, url: str) -> Path:
    """Where benchsync 0.x kept a URL's fetched objects, reusing whatever was there."""
    name = hashlib.sha256(url.encode()).hexdigest()[:16] + ".git"
    cache = pair.site / ".git/benchsync/sources" / name
    git(pair.site, "init", "-q", "--bare", str(cache))
    return cache


def _hook(cache: Path, url: str, tmp: Path) -> None:
    """Executable hooks that leave a marker when git runs them."""
    for name in ("reference-transaction", "post-checkout", "pre-auto-gc", "post-merge"):
        hook = cache / "hooks" / name
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(f"#!/bin/sh\necho {name} >> '{tmp / 'hook-ran'}'\n")
        hook.chmod(0o755)


def _redirect(cache: Path, url: str, tmp: Path) -> None:
    """The real URL rewritten to another repository's, in the planted repository's config."""
    git(cache, "config", f"url.{(tmp / 'evil.git').as_uri()}.insteadOf", url)


def _objects(cache: Path, url: str, tmp: Path) -> None:
    """Another repository's objects, and the real commit's id holding another commit,
    with refs to it: a fetch does not download an object it has, and ``cat-file`` does
    not re-hash what it reads."""
    git(cache, "fetch", "-q", "--", (tmp / "evil.git").as_uri(), "+main:refs/benchsync/source")
    real = git(tmp / "bench.git", "rev-parse", "main").strip()
    evil = git(cache, "cat-file", "commit", "refs/benchsync/source").encode()
    loose = cache / "objects" / real[:2] / real[2:]
    loose.parent.mkdir(exist_ok=True)
    loose.write_bytes(zlib.compress(b"commit %d\0" % len(evil) + evil))
    for ref in ("refs/benchsync/source", "refs/heads/main"):  # (update-ref would check it)
        (cache / ref).write_text(real + "\n")


def _everything(cache: Path, url: str, tmp: Path) -> None:
    _objects(cache, url, tmp)
    _redirect(cache, url, tmp)
    _hook(cache, url, tmp)


PLANTS: dict[str, Callable[[Path, str, Path], None]] = {
    "hooks": _hook,
    "insteadOf": _redirect,
    "objects": _objects,
    "all three": _everything,
}


def _reset(pair: Pair) -> None:
    """The website as before any apply: on main, no sync branch, no .git/benchsync."""
    pair.site_git("checkout", "-q", "-f", "main")
    if pair.site_git("branch", "--list", BRANCH).strip():
        pair.site_git("branch", "-q", "-D", BRANCH)
    shutil.rmtree(pair.site / ".git/benchsync", ignore_errors=True)


@pytest.mark.parametrize("plant", list(PLANTS), ids=list(PLANTS))
def test_a_planted_repository_of_an_old_version_is_never_used(
    pair: Pair, capsys: pytest.CaptureFixture[str], urls: tuple[str, Path], plant: str
) -> None:
    url, tmp = urls
    runs = (("--dry-run", "--json"), ("--json",))
    clean = [run_cli(capsys, "apply", "--source", url, *extra) for extra in runs]
    assert [code for code, _out, _err in clean] == [0, 0], clean
    _reset(pair)
    PLANTS[plant](_old_cache(pair, url), url, tmp)
    planted = [run_cli(capsys, "apply", "--source", url, *extra) for extra in runs]
    assert planted == clean  # byte for byte
    assert not (tmp / "hook-ran").exists()
    report = json.loads(planted[1][1])
    assert report["source"]["commit"] == git(tmp / "bench.git", "rev-parse", "main").strip()
    assert sorted(report["new"]) == sorted(r.target for r in RUNS)
    assert pair.site_git("ls-tree", "-r", "--name-only", BRANCH, "data/results").count(
        "leaderboard.json"
    ) == len(RUNS)


def _all_under(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root``: a file's bytes, None for a folder (or a link's target)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = os.readlink(path).encode()
        else:
            found[rel] = path.read_bytes() if path.is_file() else None
    return found


def test_dry_run_of_a_url_leaves_the_git_folder_as_it_was(
    pair: Pair, capsys: pytest.CaptureFixture[str], urls: tuple[str, Path]
) -> None:
    url, _tmp = urls
    before = _all_under(pair.site / ".git")
    code, out, err = run_cli(capsys, "apply", "--source", url, "--dry-run")
    assert code == 0, err
    assert "dry run: nothing written" in out
    assert not (pair.site / ".git/benchsync").exists()
    assert _all_under(pair.site / ".git") == before


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """The temporary folders apply makes (in a temp dir of this test's own), as made."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    found: list[Path] = []
    real = tempfile.mkdtemp

    def recording(*args: str, **kwargs: str) -> str:
        path = real(*args, **kwargs)
        found.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", recording)
    return found


def test_a_url_is_fetched_shallow_into_a_folder_removed_after_the_run(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    urls: tuple[str, Path],
    made: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, tmp = urls
    seen: list[tuple[str, str]] = []
    record_fetches(monkeypatch, seen)
    code, out, err = run_cli(capsys, "apply", "--source", url, "--json")
    assert code == 0, err
    assert (
        json.loads(out)["source"]["commit"] == git(tmp / "bench.git", "rev-parse", "main").strip()
    )
    assert seen == [("true", "1")]  # one commit of the two
    [folder] = made
    assert folder.parent == tmp / "system-tmp"
    assert list((tmp / "system-tmp").iterdir()) == []


def _empty_commit(tmp: Path) -> str:
    """A branch of the source whose commit holds no manifest (the fetch works, apply fails)."""
    bare = tmp / "bench.git"
    tree = git(bare, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
    commit = git(bare, "commit-tree", tree, "-m", "empty").strip()
    git(bare, "update-ref", "refs/heads/empty", commit)
    return "empty"


#: A failing apply of a URL: its arguments from the URL and its folder; what it says.
FAILURES: dict[str, tuple[Callable[[str, Path], list[str]], str]] = {
    "a ref that does not exist": (
        lambda url, _tmp: ["--source", url, "--ref", "nope"],
        "ref 'nope' does not exist in file://",
    ),
    "a URL that is no repository": (
        lambda _url, tmp: ["--source", (tmp / "missing.git").as_uri()],
        "cannot reach file://",
    ),
    "a commit without a manifest": (
        lambda url, tmp: ["--source", url, "--ref", _empty_commit(tmp)],
        "no manifest at file://",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES), ids=list(FAILURES))
def test_the_fetch_folder_is_removed_after_a_failing_run(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    urls: tuple[str, Path],
    made: list[Path],
    case: str,
) -> None:
    url, tmp = urls
    where, says = FAILURES[case]
    args = where(url, tmp)
    for extra in ((), ("--dry-run",)):
        code, out, err = run_cli(capsys, "apply", *args, *extra)
        assert (code, out) == (2, ""), err
        [line] = err.splitlines()
        assert says in line, line
    assert len(made) == 2
    assert list((tmp / "system-tmp").iterdir()) == []
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_the_users_own_git_config_still_applies(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    urls: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The user's global config is the user's (credentials, proxies, rewrites): kept."""
    url, tmp = urls
    alias = "https://benchsync.invalid/bench.git"
    config = tmp / "global.gitconfig"
    config.write_text(f'[url "{url}"]\n\tinsteadOf = {alias}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    code, out, err = run_cli(capsys, "apply", "--source", alias, "--dry-run", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["source"] == {
        "repo": alias,
        "ref": "main",
        "commit": git(tmp / "bench.git", "rev-parse", "main").strip(),
    }


@pytest.mark.parametrize(
    ("setting", "source"),
    [
        ("[safe]\n\tbareRepository = explicit\n", "url"),
        ("[safe]\n\tbareRepository = explicit\n", "bare path"),
        ("[safe]\n\tbareRepository = all\n", "url"),
    ],
)
def test_a_hardened_git_config_still_fetches(
    pair: Pair,
    capsys: pytest.CaptureFixture[str],
    urls: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    source: str,
) -> None:
    """``safe.bareRepository = explicit`` refuses a bare repository found from the current
    folder: benchsync names its repositories explicitly."""
    url, tmp = urls
    location = url if source == "url" else str(tmp / "bench.git")
    commit = git(tmp / "bench.git", "rev-parse", "main").strip()
    config = tmp / "global.gitconfig"
    config.write_text(setting)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    code, out, err = run_cli(capsys, "apply", "--source", location, "--dry-run", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["source"] == {"repo": location, "ref": "main", "commit": commit}


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_during_a_slow_fetch_cleans_up(
    pair: Pair, urls: tuple[str, Path], tmp_path: Path
) -> None:
    """CI cancellation sends SIGTERM: the git processes end, the temporary repository is
    removed, one line says why, and nothing is written."""
    import signal
    import subprocess
    import sys
    import time

    url, _ = urls
    wrapper, temp = tmp_path / "bin", tmp_path / "tmp"
    wrapper.mkdir()
    temp.mkdir()
    pids = tmp_path / "pids"
    real = shutil.which("git")
    assert real is not None
    (wrapper / "git").write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do if [ "$arg" = fetch ]; then\n'
        f"  sleep 600 & echo \"$$ $!\" > '{pids}.part' && mv '{pids}.part' '{pids}'; wait\n"
        "fi; done\n"
        f"exec '{real}' \"$@\"\n"
    )
    (wrapper / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{wrapper}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(temp)}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    before, head = pair.snapshot(), pair.site_git("rev-parse", "HEAD")
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchsync_hooks", "apply", "--source", url],
        cwd=pair.site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pids.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pids.exists(), proc.communicate()
        assert [p.name[:17] for p in temp.iterdir()] == ["benchsync-source-"]
        started = [int(p) for p in pids.read_text().split()]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stopped = (
        "benchsync apply: stopped by SIGTERM; every website file is whole, as it was or "
        "synced: run it again to finish\n"
    )
    assert (proc.returncode, out, err) == (143, "", stopped)
    deadline = time.monotonic() + 10
    while any(map(_alive, started)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in started if _alive(pid)]
    for pid in left:  # the wrapper and its sleep, should they be left running
        os.kill(pid, signal.SIGKILL)
    assert left == []
    assert list(temp.iterdir()) == []
    assert pair.snapshot() == before and pair.site_git("rev-parse", "HEAD") == head
