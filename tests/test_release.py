"""tools/release.py: the sdist and the wheel carry the package and its data, and nothing else.

The artifacts are built here as ``make dist`` builds them, from a copy of the checkout's
files, but without an isolated environment (no network); ``make dist`` also installs the wheel.
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from benchsync_hooks import __version__

ROOT = Path(__file__).resolve().parents[1]


def _load_release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release", ROOT / "tools/release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = _load_release()
PACKAGE = release.package_files(ROOT)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) built from a copy of this checkout's files."""
    dist = tmp_path_factory.mktemp("dist")
    release.build(dist, isolated=False, root=ROOT)
    sdist, wheel = release.artifacts(dist, version=__version__)
    return sdist, wheel


def test_the_package_files_include_its_data() -> None:
    """What the checks below compare against is the real package, data included."""
    for name in ("__init__.py", "cli.py", "samples.py", "py.typed", "schemas/manifest-v2.json"):
        assert f"benchsync_hooks/{name}" in PACKAGE
    assert len([n for n in PACKAGE if n.startswith("benchsync_hooks/schemas/")]) >= 3


def test_the_built_artifacts_are_complete_and_clean(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    assert release.sdist_problems(sdist, version=__version__, package=PACKAGE) == []
    assert release.wheel_problems(wheel, version=__version__, package=PACKAGE) == []


def _rezip(wheel: Path, out: Path, *, drop: str = "", add: str = "") -> Path:
    target = out / wheel.name
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename != drop:
                new.writestr(item, old.read(item))
        if add:
            new.writestr(add, b"x")
    return target


def _retar(sdist: Path, out: Path, *, drop: str = "", add: str = "") -> Path:
    target = out / sdist.name
    top = f"benchsync_hooks-{__version__}/"
    with tarfile.open(sdist) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            if member.name != top + drop:
                new.addfile(member, old.extractfile(member) if member.isfile() else None)
        if add:
            info = tarfile.TarInfo(top + add)
            info.size = 1
            new.addfile(info, io.BytesIO(b"x"))
    return target


WHEEL_CHANGES = [
    ("drop", "benchsync_hooks/schemas/leaderboard-v1.json"),
    ("drop", "benchsync_hooks/schemas/manifest-v2.json"),
    ("drop", "benchsync_hooks/py.typed"),
    ("drop", "benchsync_hooks/samples.py"),
    ("drop", f"benchsync_hooks-{__version__}.dist-info/entry_points.txt"),
    ("add", "tests/test_meta.py"),
    ("add", "benchsync_hooks/__pycache__/cli.cpython-311.pyc"),
    ("add", ".venv/pyvenv.cfg"),
]
SDIST_CHANGES = [
    ("drop", "LICENSE"),
    ("drop", "README.md"),
    ("drop", "CHANGELOG.md"),
    ("drop", "benchsync_hooks/schemas/leaderboard-v1.json"),
    ("add", ".pytest_cache/v/cache/lastfailed"),
    ("add", ".hypothesis/examples/x"),
    ("add", ".venv/pyvenv.cfg"),
    ("add", "build/lib/benchsync_hooks/cli.py"),
    ("add", "dist/benchsync_hooks-0.0.0.tar.gz"),
    ("add", "tests/conftest.py"),
    ("add", "benchsync_hooks/__pycache__/cli.cpython-311.pyc"),
    ("add", "benchsync_hooks/scratch.py"),
]


@pytest.mark.parametrize(
    ("artifact", "change", "name"),
    [("wheel", *c) for c in WHEEL_CHANGES] + [("sdist", *c) for c in SDIST_CHANGES],
)
def test_a_missing_or_unexpected_file_is_caught(
    built: tuple[Path, Path], tmp_path: Path, artifact: str, change: str, name: str
) -> None:
    if artifact == "wheel":
        path = _rezip(built[1], tmp_path, **{change: name})
        problems = release.wheel_problems(path, version=__version__, package=PACKAGE)
    else:
        path = _retar(built[0], tmp_path, **{change: name})
        problems = release.sdist_problems(path, version=__version__, package=PACKAGE)
    word = "missing" if change == "drop" else "unexpected"
    assert problems == [f"{path.name}: {word} {name}"]


def test_artifacts_of_another_version_are_refused(built: tuple[Path, Path]) -> None:
    with pytest.raises(SystemExit, match=r"should hold exactly"):
        release.artifacts(built[0].parent, version="0.0.1")


def test_the_version_is_read_from_the_package() -> None:
    assert release.source_version(ROOT) == __version__
