"""The action's install step: a fresh virtual environment with benchsync and exactly the
dependencies ``constraints.txt`` locks, each checked against its sha256.

Run by the runner's Python (standard library only), loaded by path from ``action.py``: uv
(``constraints-uv.txt``, fetched by :mod:`.uv_wheel`, or pip when that cannot be sure) makes
the venv and installs the locked wheels; the action's checkout goes on the venv's path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: the lock files at the action's root: benchsync's dependencies, and the uv installing them
LOCK = "constraints.txt"
UV_LOCK = "constraints-uv.txt"
#: the venv's path file that puts the action's checkout on ``sys.path``
PTH = "benchsync-action.pth"
#: uv settings (environment variables, by prefix) the install passes on to uv
UV_PASSED = (
    "UV_INDEX",  # UV_INDEX, UV_INDEX_URL, UV_INDEX_STRATEGY, UV_INDEX_<NAME>_USERNAME ...
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_OFFLINE",
    "UV_HTTP_TIMEOUT",
    "UV_NATIVE_TLS",
    "UV_SYSTEM_CERTS",
    "UV_INSECURE_HOST",
    "UV_KEYRING_PROVIDER",
)


def uv_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for uv: of its own settings, only where packages come from (an index, a
    mirror, a folder of wheels) and how to reach it; the others (a cache, a link mode,
    overrides) are the install's to decide."""
    return {
        name: value
        for name, value in env.items()
        if not name.startswith("UV_") or name.startswith(UV_PASSED)
    }


def install_commands(
    *, project: Path, venv: Path, work: Path, python: str, pip: str, uv_ready: bool = False
) -> list[tuple[str, list[str]]]:
    """The install, each command with the name its error line gives it.

    ``pip`` (an interpreter with pip) installs uv as ``constraints-uv.txt`` pins it into
    ``work`` (unless ``uv_ready``: :mod:`.uv_wheel` put it there); uv makes ``venv`` from
    ``python`` (no pip in it) and installs exactly what ``constraints.txt`` locks. Both
    check every file against the lock's sha256 and take wheels only (building an sdist
    would run code no hash covers). uv's cache is ``work/cache``: new for this install, as
    uv does not check its cache against hashes.
    """
    uv = str(work / "uv" / "bin" / "uv")  # Linux and macOS runners
    settings = ["--quiet", "--no-config", "--cache-dir", str(work / "cache")]
    checked = ["--require-hashes", "--only-binary", ":all:"]
    get_uv = (
        []
        if uv_ready
        else [
            (
                "pip install uv",
                [
                    *(pip, "-m", "pip", "install", "--quiet", "--no-input"),
                    *("--disable-pip-version-check", "--no-deps", "--no-compile", *checked),
                    *("--target", str(work / "uv"), "-r", str(project / UV_LOCK)),
                ],
            )
        ]
    )
    return [
        *get_uv,
        ("uv venv", [uv, "venv", *settings, "--clear", "--python", python, str(venv)]),
        (
            "uv pip install",
            [
                *(uv, "pip", "install", *settings, *checked),
                *("--python", str(venv / "bin" / "python"), "-r", str(project / LOCK)),
            ],
        ),
    ]


def install(
    *,
    project: Path,
    venv: Path,
    fetch_uv: Callable[..., Any],
    error: Callable[[str], None],
) -> int:
    """Run :func:`install_commands` in a folder of its own (removed after), then put the
    action's checkout on the venv's path (a ``.pth`` file: nothing to build)."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{venv.name}-install-", dir=venv.parent))
    env = uv_environment(os.environ)
    env.setdefault("PIP_ROOT_USER_ACTION", "ignore")  # pip installs into `work` only
    try:
        fetched = fetch_uv(
            lock_text=(project / UV_LOCK).read_text(encoding="utf-8"), into=work / "uv", env=env
        )
        pip, prepare = sys.executable, []
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in fetched.why)
        if fetched.uv is not None:
            print(f"uv from {shown} (its sha256 locked in {UV_LOCK})")
        else:
            print(f"uv through pip: {shown}")
            if importlib.util.find_spec("pip") is None:  # a bare system Python: a venv's pip
                pip = str(work / "pip" / "bin" / "python")
                prepare = [("python -m venv", [sys.executable, "-m", "venv", str(work / "pip")])]
        commands = prepare + install_commands(
            project=project,
            venv=venv,
            work=work,
            python=sys.executable,
            pip=pip,
            uv_ready=fetched.uv is not None,
        )
        compiling = _compile(project / "benchsync_hooks")
        try:
            for what, command in commands:
                try:
                    done = subprocess.run(command, env=env, check=False)
                except OSError as exc:  # (a runner temp mounted noexec, say)
                    error(
                        f"installing benchsync from {project} failed: {what} could not start "
                        f"({exc.strerror}); check that {work} allows running programs"
                    )
                    return 1
                if done.returncode:
                    error(
                        f"installing benchsync from {project} failed: {what} exited "
                        f"{done.returncode} (its lines are above)"
                    )
                    return done.returncode
        finally:
            compiling.wait()
        [site] = venv.glob("lib/python*/site-packages")
        (site / PTH).write_text(f"{project}\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"benchsync installed into {venv} (from {project}; each dependency checked "
        f"against its sha256 in {LOCK})"
    )
    return 0


def _compile(package: Path) -> subprocess.Popen[bytes]:
    """Byte-compile the action's own modules while uv installs (on the other CPU): the run
    step then imports them without compiling (a job's checkout comes without
    ``__pycache__``). The interpreter is the venv's; a failure only leaves the import
    to compile, as it would anyway."""
    return subprocess.Popen(
        [sys.executable, "-I", "-m", "compileall", "-q", "-j", "0", str(package)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
