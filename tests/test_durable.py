"""The fsynced writes on threads (sync/durable.py): order, errors, signals, process limits."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import init_repo

from benchsync_hooks import samples
from benchsync_hooks.git import open_repo
from benchsync_hooks.stopping import Terminated
from benchsync_hooks.sync import durable
from benchsync_hooks.sync.write import stage_files


def _slowly(value: int) -> int:
    time.sleep(0.001 * (value % 3))  # (the threads finish out of order)
    return value * 2


@pytest.mark.parametrize("count", [0, 1, 2, 200])
def test_every_value_once_in_order(count: int) -> None:
    assert durable._each(_slowly, list(range(count))) == [v * 2 for v in range(count)]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), Terminated()])
def test_an_error_starts_no_further_call(error: BaseException) -> None:
    """The first error is raised once every thread has stopped; the calls under way end,
    and none of the later values is started."""
    started: list[int] = []
    ran_on: set[threading.Thread] = set()

    def call(value: int) -> int:
        started.append(value)
        ran_on.add(threading.current_thread())
        if value == 20:
            raise error
        time.sleep(0.002)
        return value

    with pytest.raises(type(error)):
        durable._each(call, list(range(500)))
    assert 20 in started and max(started) < 20 + 2 * durable.THREADS
    assert len(ran_on) > 1 and not any(t.is_alive() for t in ran_on)  # all stopped


@pytest.mark.parametrize("threads", [0, 3], ids=["no thread starts", "three start"])
def test_a_process_limit_on_threads_is_no_error(
    monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    """``can't start new thread`` (a cgroup's pids.max): the threads that started, or the
    caller's own, do every call."""
    real_start = threading.Thread.start
    starts = []

    def start(self: threading.Thread) -> None:
        if len(starts) >= threads:
            raise RuntimeError("can't start new thread")
        starts.append(self)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    assert durable._each(_slowly, list(range(100))) == [v * 2 for v in range(100)]
    assert len(starts) == threads


def test_a_signal_while_staging_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (``Terminated``) arriving while the temp files are written: the files
    under way end, no other is started, and every temp file made is removed."""
    website = open_repo(init_repo(tmp_path / "site"))
    real_fsync = durable.os.fsync
    calls: list[int] = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 40:
            raise Terminated()
        real_fsync(fd)

    monkeypatch.setattr(durable.os, "fsync", fsync)
    items: list[Any] = [SimpleNamespace(data=b"{}\n" * n) for n in range(300)]
    try:
        with pytest.raises(Terminated):
            stage_files(website, items)
        temp = website.git_dir / "benchsync" / "tmp"
        assert temp.is_dir() and list(temp.iterdir()) == []
        assert 40 <= len(calls) < 40 + 2 * durable.THREADS
    finally:
        website.close()


def test_a_signal_while_renaming_into_place_puts_the_website_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (``Terminated``) after some files were renamed into place: those are taken
    back (the folders made removed), the other temp files removed, the branch not made."""
    from conftest import BRANCH, Pair

    from benchsync_hooks.cli import main
    from benchsync_hooks.sync import write

    pair = Pair(tmp_path, capsys)
    pair.publish(*samples.runs(40))
    before = pair.snapshot()
    real_replace = write.os.replace
    renamed: list[str] = []

    def replace(source: Any, target: Any) -> None:
        if len(renamed) == 25:
            raise Terminated()
        real_replace(source, target)
        renamed.append(str(target))

    monkeypatch.setattr(write.os, "replace", replace)
    monkeypatch.chdir(pair.site)
    assert main(["apply", "--source", str(pair.bench.root)]) == 143
    assert "stopped by SIGTERM" in capsys.readouterr().err
    assert len(renamed) == 25
    assert pair.snapshot() == before
    assert pair.site_git("status", "--porcelain", "--untracked-files=all") == ""
    assert not any((pair.site / ".git/benchsync/tmp").iterdir())
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_a_checkout_that_writes_other_bytes_is_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From another branch, git's checkout writes the files. When it writes other bytes and
    exits 0 (a smudge filter here; a full disk does the same), the run stops with one line
    that says how to put the website back, instead of reporting a sync."""
    from conftest import Pair

    from benchsync_hooks.cli import main

    pair = Pair(tmp_path, capsys)
    pair.publish(*samples.runs(3))
    pair.site_git("config", "filter.empty.smudge", "cat >/dev/null")
    pair.site_git("config", "filter.empty.clean", "cat")
    pair.commit_site("attributes", {".gitattributes": "data/** filter=empty\n"})
    pair.site_git("checkout", "-q", "-b", "other")
    pair.commit_site("other work", {"notes.md": "other work\n"})
    monkeypatch.chdir(pair.site)
    assert main(["apply", "--source", str(pair.bench.root), "--base", "main"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("benchsync apply: git's checkout of the sync branch did not write "), err
    assert "(a full disk? a filter in .gitattributes?)" in err and err.count("\n") == 1
    assert "(git checkout other) and run again" in err
    # the way back it gives works: fix the filter, put the files back, return, run again
    pair.site_git("config", "--unset", "filter.empty.smudge")
    put_back = err.split("put the files back (", 1)[1].split(")", 1)[0].split()
    assert put_back[:2] == ["git", "checkout"]
    pair.site_git(*put_back[1:])
    pair.site_git("checkout", "-q", "other")
    assert pair.site_git("status", "--porcelain", "--untracked-files=all") == ""
    assert main(["apply", "--source", str(pair.bench.root), "--base", "main"]) == 0
    assert pair.site_git("status", "--porcelain") == ""
