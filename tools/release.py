"""Build and check the release (``make dist``).

``python tools/release.py build DIST_DIR`` builds the sdist and the wheel (``python -m build``,
isolated) from a copy of this checkout's files: tracked ones and new ones git does not ignore,
so nothing ignored (a stale ``*.egg-info``, ``build/``, ``.venv``) can slip into or mask a
gap in them.

``python tools/release.py check DIST_DIR`` then checks:

1. ``DIST_DIR`` holds exactly one sdist and one wheel of this checkout's version.
2. Their file lists: every file of the package in this checkout (modules, schemas, py.typed)
   is in both; the sdist also has README, CHANGELOG, LICENSE and pyproject; nothing else is
   (no tests, caches, ``.venv``, ``build/``, bytecode, stray files).
3. The wheel, installed into a fresh virtual environment in a temporary folder outside this
   checkout, answers ``benchsync --version`` with the version and runs ``benchsync demo``
   (which needs the bundled schemas and sample generator) to exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "benchsync_hooks"
# Besides the package: what the sdist must hold, and what setuptools may add to it.
SDIST_REQUIRED = frozenset({"PKG-INFO", "pyproject.toml", "README.md", "CHANGELOG.md", "LICENSE"})
SDIST_ALLOWED = SDIST_REQUIRED | {"setup.cfg", "MANIFEST.in"}
# The wheel's metadata files, all of them required.
WHEEL_INFO = frozenset(
    {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "top_level.txt", "licenses/LICENSE"}
)
# Variables that would make the smoke test use something other than the installed wheel.
LEAKY_ENV = (
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
)


def source_version(root: Path = ROOT) -> str:
    """``__version__`` as written in the package (read, not imported)."""
    text = (root / PACKAGE / "__init__.py").read_text("utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if found is None:
        raise SystemExit(f'no __version__ = "…" line in {PACKAGE}/__init__.py')
    return found.group(1)


def source_files(root: Path = ROOT, *pathspec: str) -> frozenset[str]:
    """The checkout's files: tracked, or new and not ignored by git (deleted ones left out)."""
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *pathspec],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"git ls-files failed in {root}: {proc.stderr.decode().strip()}")
    names = {name for name in proc.stdout.decode().split("\0") if name}
    return frozenset(name for name in names if (root / name).is_file())


def package_files(root: Path = ROOT) -> frozenset[str]:
    """Files of the package a release must carry."""
    return source_files(root, PACKAGE)


def build(dist: Path, *, isolated: bool = True, root: Path = ROOT) -> None:
    """Build the sdist and the wheel (the wheel from the sdist) into ``dist``."""
    with tempfile.TemporaryDirectory(prefix="benchsync-source-") as name:
        copy = Path(name) / "src"
        for rel in source_files(root):
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, copy / rel)
        args: list[str | Path] = [
            sys.executable,
            "-m",
            "build",
            "--quiet",
            "--outdir",
            dist.resolve(),
            copy,
        ]
        _run(args if isolated else [*args, "--no-isolation"], cwd=Path(name))


def _compare(
    listed: Iterable[str], *, required: frozenset[str], allowed: frozenset[str], what: str
) -> list[str]:
    names = set(listed)
    problems = [f"{what}: missing {name}" for name in sorted(required - names)]
    problems += [f"{what}: unexpected {name}" for name in sorted(names - allowed)]
    return problems


def wheel_problems(wheel: Path, *, version: str, package: frozenset[str]) -> list[str]:
    """What is missing from the wheel or should not be in it."""
    info = f"{PACKAGE}-{version}.dist-info/"
    with zipfile.ZipFile(wheel) as archive:
        listed = [name for name in archive.namelist() if not name.endswith("/")]
    expected = package | {info + name for name in WHEEL_INFO}
    return _compare(listed, required=expected, allowed=expected, what=wheel.name)


def sdist_problems(sdist: Path, *, version: str, package: frozenset[str]) -> list[str]:
    """What is missing from the sdist or should not be in it (egg-info is setuptools')."""
    top = f"{PACKAGE}-{version}/"
    with tarfile.open(sdist) as archive:
        members = [m.name for m in archive.getmembers() if m.isfile()]
    outside = [name for name in members if not name.startswith(top)]
    inside = [name.removeprefix(top) for name in members if name.startswith(top)]
    egg_info = {name for name in inside if name.startswith(f"{PACKAGE}.egg-info/")}
    problems = [f"{sdist.name}: outside {top}: {name}" for name in outside]
    return problems + _compare(
        inside,
        required=package | SDIST_REQUIRED,
        allowed=package | SDIST_ALLOWED | egg_info,
        what=sdist.name,
    )


def artifacts(dist: Path, *, version: str) -> tuple[Path, Path]:
    """The one sdist and the one wheel of ``version`` in ``dist``."""
    found = sorted(p.name for p in dist.iterdir()) if dist.is_dir() else []
    sdist = f"{PACKAGE}-{version}.tar.gz"
    wheel = f"{PACKAGE}-{version}-py3-none-any.whl"
    if found != sorted([sdist, wheel]):
        raise SystemExit(f"{dist} should hold exactly {sdist} and {wheel}, holds {found}")
    return dist / sdist, dist / wheel


def _run(args: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"exit {proc.returncode}: {' '.join(str(a) for a in args)}")
    return proc.stdout


def smoke(wheel: Path, *, version: str) -> list[str]:
    """Install the wheel into a fresh venv outside the checkout; run the console script."""
    lines = []
    with tempfile.TemporaryDirectory(prefix="benchsync-wheel-") as name:
        top = Path(name).resolve()
        if top.is_relative_to(ROOT):
            raise SystemExit(f"the temporary folder {top} is inside the checkout; set TMPDIR")
        venv = top / "venv"
        started = time.perf_counter()
        # No pip inside the new venv: this checkout's pip installs into it (faster, same result).
        _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=top)
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                venv / "bin/python",
                "install",
                "--quiet",
                wheel.resolve(),
                "pre-commit",
            ],
            cwd=top,
        )
        lines.append(
            f"installed {wheel.name} into a fresh venv ({time.perf_counter() - started:.1f} s)"
        )
        env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        where = _run(
            [venv / "bin/python", "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
            cwd=top,
            env=env,
        )
        if not Path(where.strip()).is_relative_to(venv):
            raise SystemExit(f"{PACKAGE} was imported from {where.strip()}, not from the venv")
        said = _run([venv / "bin/benchsync", "--version"], cwd=top, env=env)
        if said != f"benchsync {version}\n":
            raise SystemExit(f"benchsync --version said {said!r}, expected 'benchsync {version}'")
        lines.append(f"benchsync --version: {said.strip()}")
        started = time.perf_counter()
        _run([venv / "bin/benchsync", "demo"], cwd=top, env=env)
        lines.append(f"benchsync demo: exit 0 ({time.perf_counter() - started:.1f} s)")
    return lines


def check(dist: Path) -> int:
    version = source_version()
    sdist, wheel = artifacts(dist, version=version)
    package = package_files()
    problems = sdist_problems(sdist, version=version, package=package)
    problems += wheel_problems(wheel, version=version, package=package)
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    if problems:
        return 1
    for path in (sdist, wheel):
        print(f"{path.name}: {path.stat().st_size / 1000:.0f} kB, file list as expected")
    for line in smoke(wheel, version=version):
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("build", "check"):
        sys.stderr.write("usage: python tools/release.py build|check DIST_DIR\n")
        return 2
    if args[0] == "build":
        started = time.perf_counter()
        build(Path(args[1]))
        built = ", ".join(sorted(p.name for p in Path(args[1]).iterdir()))
        print(f"built {built} ({time.perf_counter() - started:.1f} s)")
        return 0
    return check(Path(args[1]))


if __name__ == "__main__":
    raise SystemExit(main())
