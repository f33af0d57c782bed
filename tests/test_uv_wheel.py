"""The action's uv, taken from its locked wheel without pip: from a folder, or from a simple
index (JSON or HTML) served for real on 127.0.0.1; anything it cannot be sure of is left to
pip, with the reason, and a file whose sha256 the lock does not name is never opened."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchsync_hooks.uv_wheel import (
    Offered,
    _redacted,
    choose,
    fetch_uv,
    locked,
    machine_tags,
    pip_configured,
)

ROOT = Path(__file__).resolve().parents[1]
LOCK_TEXT = (ROOT / "constraints-uv.txt").read_text("utf-8")
WHEELHOUSE = ROOT / ".tools" / "wheelhouse"
QUIET = {"PIP_CONFIG_FILE": os.devnull}  # no pip configuration file of this machine


def _uv_wheel() -> Path:
    found = sorted(WHEELHOUSE.glob("uv-*.whl"))
    if not found or not (WHEELHOUSE / ".complete").is_file():
        pytest.skip("no .tools/wheelhouse (make test downloads the pinned wheels)")
    return found[0]


Page = Callable[[str, bytes], tuple[int, str, bytes]]  # (name, wheel) -> status, type, body


@pytest.fixture
def index() -> Iterator[Callable[[Page, bytes], str]]:
    """A simple index on 127.0.0.1: ``serve(page, wheel)`` answers ``/simple/uv/`` with
    ``page`` and ``/files/<name>`` with ``wheel``; its URL."""
    servers: list[ThreadingHTTPServer] = []

    def serve(page: Page, wheel: bytes) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/simple/uv/":
                    status, kind, body = page(self.path, wheel)
                elif self.path.startswith("/files/"):
                    status, kind, body = 200, "application/octet-stream", wheel
                else:
                    status, kind, body = 404, "text/plain", b"no"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/simple"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _json_page(name: str, claim: str | None) -> Page:
    def page(_path: str, wheel: bytes) -> tuple[int, str, bytes]:
        hashes = {"sha256": claim or hashlib.sha256(wheel).hexdigest()}
        files = [
            {"filename": "uv-0.13.9.tar.gz", "url": "../../files/uv-0.13.9.tar.gz", "hashes": {}},
            {"filename": name, "url": f"../../files/{name}", "hashes": hashes},
        ]
        body = json.dumps({"meta": {"api-version": "1.0"}, "name": "uv", "files": files})
        return 200, "application/vnd.pypi.simple.v1+json", body.encode()

    return page


def _page_of(files: list[dict[str, object]]) -> Page:
    body = json.dumps({"meta": {"api-version": "1.0"}, "name": "uv", "files": files}).encode()
    return lambda _path, _wheel: (200, "application/vnd.pypi.simple.v1+json", body)


def _html_page(name: str, claim: str | None) -> Page:
    def page(_path: str, wheel: bytes) -> tuple[int, str, bytes]:
        digest = claim or hashlib.sha256(wheel).hexdigest()
        body = (
            "<!DOCTYPE html><html><body>"
            '<a href="/files/uv-0.13.9.tar.gz">uv-0.13.9.tar.gz</a>'
            f'<a href="/files/{name}#sha256={digest}">{name}</a>'
            "</body></html>"
        )
        return 200, "text/html", body.encode()

    return page


@pytest.mark.parametrize("layout", [_json_page, _html_page], ids=["PEP 691 JSON", "PEP 503 HTML"])
def test_uv_comes_from_the_index_and_runs(
    index: Callable[[Page, bytes], str],
    tmp_path: Path,
    layout: Callable[[str, str | None], Page],
) -> None:
    wheel = _uv_wheel()
    url = index(layout(wheel.name, None), wheel.read_bytes())
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env={**QUIET, "PIP_INDEX_URL": url})
    assert got.why == wheel.name
    assert got.uv == tmp_path / "uv" / "bin" / "uv"
    version = subprocess.run([str(got.uv), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("uv 0.13.9")


def _poisoned(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


@pytest.mark.parametrize(
    ("page", "mutate", "why"),
    [
        (  # the index claims the locked hash, and serves other bytes
            _json_page,
            _poisoned,
            "{name}: its sha256 is not one the lock names",
        ),
        (  # the index claims another hash: the file is not even downloaded
            lambda name, _digest: _json_page(name, "0" * 64),
            lambda data: data,
            "no wheel of uv 0.13.9 with a locked hash for this machine",
        ),
        (
            lambda _name, _digest: lambda _p, _w: (500, "text/plain", b"down"),
            lambda data: data,
            "HTTPError: HTTP Error 500: Internal Server Error",
        ),
        (
            lambda _name, _digest: (
                lambda _p, _w: (
                    200,
                    "application/vnd.pypi.simple.v1+json",
                    b"[1]",
                )
            ),
            lambda data: data,
            "TypeError: list indices must be integers or slices, not str",
        ),
        (  # a pipe would hang the install: addresses other than http(s) are not followed
            lambda name, digest: _page_of(
                [{"filename": name, "url": "file:///dev/zero", "hashes": {"sha256": digest}}]
            ),
            lambda data: data,
            "no wheel of uv 0.13.9 with a locked hash for this machine",
        ),
    ],
    ids=[
        "poisoned wheel",
        "other hash claimed",
        "index down",
        "index answers nonsense",
        "a local file offered",
    ],
)
def test_what_cannot_be_trusted_is_left_to_pip(
    index: Callable[[Page, bytes], str],
    tmp_path: Path,
    page: Callable[[str, str], Page],
    mutate: Callable[[bytes], bytes],
    why: str,
) -> None:
    wheel = _uv_wheel()
    data = wheel.read_bytes()
    url = index(page(wheel.name, hashlib.sha256(data).hexdigest()), mutate(data))
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env={**QUIET, "PIP_INDEX_URL": url})
    assert got == (None, why.format(name=wheel.name))
    assert not (tmp_path / "uv").exists()  # nothing written


def test_a_folder_of_wheels_is_enough_and_no_index_is_asked(tmp_path: Path) -> None:
    wheel = _uv_wheel()
    env = {**QUIET, "PIP_FIND_LINKS": str(WHEELHOUSE), "PIP_INDEX_URL": "http://127.0.0.1:9/x"}
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env=env)
    assert (got.uv, got.why) == (tmp_path / "uv" / "bin" / "uv", wheel.name)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**QUIET, "PIP_FIND_LINKS": str(empty), "PIP_NO_INDEX": "1"}
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "other", env=env)
    assert got == (None, "no wheel of uv 0.13.9 with a locked hash for this machine")


def test_a_pip_configuration_sends_the_install_to_pip(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://mirror.invalid/simple\n")
    assert pip_configured({"PIP_CONFIG_FILE": str(conf)}) == str(conf)
    assert pip_configured({**QUIET, "PIP_EXTRA_INDEX_URL": "x"}) == "PIP_EXTRA_INDEX_URL"
    assert pip_configured(QUIET) is None
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env={"PIP_CONFIG_FILE": str(conf)})
    assert got == (None, f"pip is configured ({conf})")


def test_the_lock_is_read_as_pip_reads_it() -> None:
    lock = locked(LOCK_TEXT)
    assert lock is not None and lock.version == "0.13.9"
    assert len(lock.hashes) == LOCK_TEXT.count("--hash=sha256:")
    assert locked("uv==0.13.9\n") is None  # no hash: nothing to check a file against
    assert locked("# nothing\n") is None


LINUX = "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


@pytest.mark.parametrize(
    ("machine", "tag", "runs"),
    [
        (("linux", "x86_64", ("glibc", "2.17")), "manylinux_2_17_x86_64", True),
        (("linux", "x86_64", ("glibc", "2.17")), "manylinux2014_x86_64", True),
        (("linux", "x86_64", ("glibc", "2.17")), "manylinux_2_28_x86_64", False),
        (("linux", "x86_64", ("glibc", "2.39")), "manylinux_2_28_x86_64", True),
        (("linux", "aarch64", ("glibc", "2.39")), "manylinux_2_17_x86_64", False),
        (("linux", "x86_64", ("glibc", "2.39")), "musllinux_1_1_x86_64", False),
        (("linux", "x86_64", ("glibc", "2.39")), "linux_x86_64", False),
    ],
)
def test_wheel_tags_that_run_here(
    machine: tuple[str, str, tuple[str, str]], tag: str, runs: bool
) -> None:
    system, arch, libc = machine
    judge = machine_tags(system=system, arch=arch, libc=libc)
    assert judge is not None and judge(tag) is runs


@pytest.mark.parametrize(
    ("system", "libc"),
    [("linux", ("musl", "1.2")), ("linux", ("", "")), ("win32", None), ("freebsd14", None)],
)
def test_machines_it_does_not_know_are_left_to_pip(
    system: str, libc: tuple[str, str] | None
) -> None:
    assert machine_tags(system=system, arch="x86_64", libc=libc) is None


def test_choose_takes_the_locked_version_as_wheels_whose_claims_are_locked() -> None:
    lock = locked(LOCK_TEXT)
    assert lock is not None
    good = next(iter(sorted(lock.hashes)))
    runs = machine_tags(system="linux", arch="x86_64", libc=("glibc", "2.36"))
    assert runs is not None
    offered = [
        Offered("uv-0.13.9.tar.gz", "u/sdist", None),
        Offered(LINUX.replace("0.13.9", "0.13.8"), "u/old", None),
        Offered(LINUX, "u/claims-another", "f" * 64),
        Offered(LINUX, "u/claims-locked", good),
        Offered(LINUX, "u/claims-nothing", None),
        Offered(LINUX.replace("x86_64", "aarch64"), "u/arm", None),
    ]
    assert [o.url for o in choose(offered, lock=lock, runs=runs)] == [
        "u/claims-locked",
        "u/claims-nothing",
    ]


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        ([{"filename": "{name}", "url": "/files/{name}", "hashes": ["x"]}], False),
        ([{"filename": "{name}", "url": "/files/{name}", "hashes": "abc"}], False),
        ([{"filename": "{name}\n::warning::x", "url": "/files/{name}", "hashes": {}}], False),
        (  # the same file twice, with and without a hash (legal): either will do
            [
                {"filename": "{name}", "url": "/files/{name}", "hashes": {}},
                {"filename": "{name}", "url": "/files/{name}", "hashes": {"sha256": "{sha}"}},
            ],
            True,
        ),
    ],
    ids=["hashes a list", "hashes a string", "a name with a line break", "listed twice"],
)
def test_odd_index_pages_never_crash(
    index: Callable[[Page, bytes], str],
    tmp_path: Path,
    files: list[dict[str, object]],
    chosen: bool,
) -> None:
    wheel = _uv_wheel()
    data = wheel.read_bytes()
    text = json.dumps(files).replace("{name}", wheel.name)
    text = text.replace("{sha}", hashlib.sha256(data).hexdigest())
    url = index(_page_of(json.loads(text)), data)
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env={**QUIET, "PIP_INDEX_URL": url})
    assert (got.uv is not None) is chosen, got.why
    assert "\n" not in got.why


def test_a_deep_page_is_a_reason_not_a_traceback(
    index: Callable[[Page, bytes], str], tmp_path: Path
) -> None:
    deep = b'{"files": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    url = index(lambda _p, _w: (200, "application/vnd.pypi.simple.v1+json", deep), b"")
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env={**QUIET, "PIP_INDEX_URL": url})
    assert got.uv is None and got.why.startswith("RecursionError")


def test_a_slow_index_is_given_up_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte at a time, each well within the socket timeout: the whole fetch still has
    a deadline."""
    from benchsync_hooks import uv_index

    monkeypatch.setattr(uv_index, "BUDGET", 1)

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/simple"
        started = time.monotonic()
        got = fetch_uv(
            lock_text=LOCK_TEXT, into=tmp_path / "uv", env={**QUIET, "PIP_INDEX_URL": url}
        )
        assert time.monotonic() - started < 3
        assert got == (None, "TimeoutError: no whole answer within 1 s")
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_and_remote_find_links_are_left_to_pip(tmp_path: Path) -> None:
    secret = "https://ci-bot:s3cr3t@mirror.invalid/simple"
    for env in ({"PIP_INDEX_URL": secret}, {"PIP_FIND_LINKS": "https://mirror.invalid/wheels"}):
        got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env={**QUIET, **env})
        assert got == (
            None,
            "an index address with credentials, or find-links at an address",
        )
    assert "s3cr3t" not in _redacted(f"HTTPError for {secret}: 401")


def test_a_relative_find_links_folder_is_taken_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = _uv_wheel()
    monkeypatch.chdir(WHEELHOUSE.parent)
    env = {**QUIET, "PIP_FIND_LINKS": WHEELHOUSE.name, "PIP_NO_INDEX": "1"}
    got = fetch_uv(lock_text=LOCK_TEXT, into=tmp_path / "uv", env=env)
    assert got.why == wheel.name and got.uv is not None


def test_a_locked_uv_that_does_not_run_here_is_removed_and_left_to_pip(tmp_path: Path) -> None:
    """A wheel whose hash the lock names but whose program cannot run on this machine (an
    index mislabelling another platform's file, a noexec folder): pip decides instead."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    wheel = folder / "uv-9.9.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as made:
        made.writestr("uv-9.9.9.data/scripts/uv", b"\x7fELF not a program")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    env = {**QUIET, "PIP_FIND_LINKS": str(folder), "PIP_NO_INDEX": "1"}
    into = tmp_path / "uv"
    judge = machine_tags()
    if judge is None or not judge("manylinux_2_17_x86_64"):
        pytest.skip("the crafted wheel is tagged for glibc x86-64 Linux")
    got = fetch_uv(lock_text=f"uv==9.9.9 \\\n    --hash=sha256:{digest}\n", into=into, env=env)
    assert got.uv is None and got.why.startswith("OSError: [Errno 8] Exec format error")
    assert not (into / "bin" / "uv").exists()
