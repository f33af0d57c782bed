"""One version everywhere: every place that tells users which release to use names
``benchsync_hooks.__version__`` (the one place the version lives)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from benchsync_hooks import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.yml"))
ACTIONS = [name for name in ("action.yml", "action.yaml") if (ROOT / name).is_file()]
WORKFLOWS = EXAMPLES + ACTIONS
FILES = ["README.md", "CHANGELOG.md", *WORKFLOWS]


@dataclass(frozen=True)
class Reference:
    path: str
    line: int
    kind: str
    found: str
    expected: str


# (kind, pattern with a group `found`, what `found` must be, given the version)
PATTERNS = (
    # `uses: OWNER/benchsync-hooks@v…` and pip's `git+https://…/benchsync-hooks[.git]@v…`
    ("tag", re.compile(r"benchsync-hooks(?:\.git)?@(?P<found>[^\s'\"#]*)"), "v{}"),
    # a pre-commit `rev:` under `repo: …/benchsync-hooks` (other repositories' revs are theirs)
    (
        "pre-commit rev",
        re.compile(
            r"repo:[ \t]*\S*/benchsync-hooks(?:\.git)?[ \t]*\n"
            r"[ \t]*rev:[ \t]*['\"]?(?P<found>[^\s'\"#]*)"
        ),
        "v{}",
    ),
    # `benchsync-hooks==…` and `benchsync-hooks[github]==…`
    (
        "pin",
        re.compile(r"benchsync-hooks(?:\[[^\]]*\])?[ \t]*==[ \t]*(?P<found>[^\s'\";,]*)"),
        "{}",
    ),
    # a wheel's file name, `benchsync_hooks-…-py3-none-any.whl`
    ("wheel", re.compile(r"benchsync_hooks-(?P<found>[^-\s/]+)-py3"), "{}"),
)
# The latest released version is the first heading with a date (`[Unreleased]` has none).
RELEASED = re.compile(r"^## \[(?P<found>[^\]]*)\] - \d{4}-\d{2}-\d{2}[ \t]*$", re.MULTILINE)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def references(text: str, *, path: str, version: str = __version__) -> list[Reference]:
    """Every place in ``text`` that names a release of benchsync-hooks."""
    if Path(path).name == "CHANGELOG.md":
        first = RELEASED.search(text)
        if first is None:
            return []
        at = first.start("found")
        return [Reference(path, _line(text, at), "released heading", first["found"], version)]
    found = [
        Reference(path, _line(text, m.start("found")), kind, m["found"], want.format(version))
        for kind, pattern, want in PATTERNS
        for m in pattern.finditer(text)
    ]
    return sorted(found, key=lambda r: r.line)


def unpinned_installs(text: str) -> list[int]:
    """Lines of a workflow that ``pip install`` benchsync-hooks without naming a release."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if "pip install" in line
        and "benchsync-hooks" in line
        and not any(pattern.search(line) for _, pattern, _ in PATTERNS)
    ]


def _read(rel: str) -> str:
    return (ROOT / rel).read_text("utf-8")


@pytest.mark.parametrize("rel", FILES)
def test_every_reference_names_this_version(rel: str) -> None:
    wrong = [r for r in references(_read(rel), path=rel) if r.found != r.expected]
    assert wrong == []


def test_references_are_found_where_users_copy_them() -> None:
    """The check above cannot pass by finding nothing."""
    readme = references(_read("README.md"), path="README.md")
    assert [r.kind for r in readme].count("pre-commit rev") >= 1
    assert len(references(_read("CHANGELOG.md"), path="CHANGELOG.md")) == 1
    assert EXAMPLES, "no example workflows found"
    assert sum(len(references(_read(rel), path=rel)) for rel in EXAMPLES) >= 1
    for rel in WORKFLOWS:
        if "benchsync-hooks" in _read(rel):
            assert references(_read(rel), path=rel), f"{rel} names benchsync-hooks, no version"


@pytest.mark.parametrize("rel", WORKFLOWS)
def test_workflows_install_a_named_release(rel: str) -> None:
    assert unpinned_installs(_read(rel)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uses: OWNER/benchsync-hooks@v0.2.0", [("tag", "v0.2.0")]),
        ("uses: OWNER/benchsync-hooks@main", [("tag", "main")]),
        (
            'pip install "benchsync-hooks[github] @ '
            'git+https://github.com/benchsync/benchsync-hooks.git@v1.0.0"',
            [("tag", "v1.0.0")],
        ),
        (
            "  - repo: https://github.com/benchsync/benchsync-hooks\n    rev: 'v0.2.0'\n",
            [("pre-commit rev", "v0.2.0")],
        ),
        ("  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.6.0\n", []),
        ("pip install benchsync-hooks[github]==0.2.0", [("pin", "0.2.0")]),
        ("pip install benchsync-hooks", []),
        ("pip install dist/benchsync_hooks-0.2.0-py3-none-any.whl", [("wheel", "0.2.0")]),
    ],
)
def test_references_are_read_from_every_form(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.kind, r.found) for r in references(text, path="x.yml")] == expected


def test_unpinned_installs_are_found() -> None:
    text = 'run: pip install pre-commit\nrun: python -m pip install "benchsync-hooks[github]"\n'
    assert unpinned_installs(text) == [2]
    assert unpinned_installs("run: pip install benchsync-hooks==1.0.0\n") == []


def _naming_a_version() -> list[str]:
    """The files that name a version (README and the examples must: a test above says so;
    action.yml is the action itself and names none)."""
    return [
        rel for rel in ["README.md", "CHANGELOG.md", *WORKFLOWS] if references(_read(rel), path=rel)
    ]


@pytest.mark.parametrize("rel", _naming_a_version())
@pytest.mark.parametrize("wrong", ["0.2.0", "9.9.9"])
def test_one_wrong_reference_is_caught(rel: str, wrong: str) -> None:
    """Each file's first reference, changed to another version, fails the check."""
    text = _read(rel)
    first = references(text, path=rel)[0]
    lines = text.splitlines(keepends=True)
    bad = first.expected.replace(__version__, wrong)
    assert bad != first.expected
    lines[first.line - 1] = lines[first.line - 1].replace(first.found, bad, 1)
    broken = references("".join(lines), path=rel)
    assert [r for r in broken if r.found != r.expected] == [
        Reference(rel, first.line, first.kind, bad, first.expected)
    ]


def test_the_version_lives_in_one_place() -> None:
    pyproject = tomllib.loads(_read("pyproject.toml"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "benchsync_hooks.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert metadata.version("benchsync-hooks") == __version__  # installed metadata follows it
