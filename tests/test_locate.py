"""check/locate.py: a JSON pointer's place in a text, walked to, as a source map gives it."""

from __future__ import annotations

import json

import pytest
from conftest import Pair, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from json_source_map import calculate

from benchsync_hooks.check.locate import locate

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="abc~", max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


@settings(max_examples=200, deadline=None)
@given(_VALUES, st.sampled_from([None, 2]))
def test_every_value_is_where_a_source_map_says(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    for pointer, entry in calculate(text).items():
        parts = pointer.split("/")[1:]  # (json-source-map does not escape its keys)
        if any("/" in p or "~" in p for p in parts):
            continue
        want = (entry.value_start.line + 1, entry.value_start.column + 1)
        assert locate(text, "".join("/" + _escaped(p) for p in parts)) == want, (text, pointer)


@pytest.mark.parametrize(
    ("text", "pointer", "where"),
    [
        ('{"a/b": {"~": 7}}', "/a~1b/~0", (1, 15)),
        ('{"a": 1, "a": 2}', "/a", (1, 15)),  # the last of a key given twice, as json keeps
        ('{"a": [1]}', "/a/1", None),
        ('{"a": [1]}', "/a/x", None),
        ('{"a": 1}', "/b", None),
        ('{"a": 1', "/a", None),
        ("[1, 2", "/5", None),
    ],
)
def test_a_pointer_the_text_does_not_lead_to_is_none(
    text: str, pointer: str, where: tuple[int, int] | None
) -> None:
    assert locate(text, pointer) == where


def test_a_padded_manifest_is_refused_without_a_source_map(
    pair: Pair, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manifest of another layout that fails its schema is pointed at by a walk: a source
    map of 200,000 padding objects would take gigabytes (two million, 1.7 GB)."""
    import json_source_map

    def refused(_text: str) -> object:
        raise AssertionError("a source map of the whole manifest")

    monkeypatch.setattr(json_source_map, "calculate", refused)
    pair.publish()
    head = (
        '{"format": "benchsync-manifest/v2", "source_root": "outputs", "target_root": '
        '"data/results", "rules": "0123456789abcdef", "files": ['
    )
    pair.bench.write("outputs/sync-manifest.json", head + ", ".join(["{}"] * 200_000) + "]}\n")
    pair.bench.stage()
    pair.bench.commit("a padded manifest")
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--dry-run")
    assert code == 1, err
    assert out == "", out
    [line] = err.splitlines()
    assert line.startswith("benchsync apply: outputs/sync-manifest.json@")
    assert f":1:{len(head) + 1}: manifest-schema " in line and " at /files/0;" in line
