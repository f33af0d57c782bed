"""The two readers of a manifest agree: the rendered-text reader and the JSON reader."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchsync_hooks.bench import manifest as m
from benchsync_hooks.bench.reading import load
from benchsync_hooks.config import Config
from benchsync_hooks.errors import IntegrityError

HEX = "0123456789abcdef"
SLUG = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@st.composite
def files(draw: st.DrawFn) -> m.ManifestFile:
    backend, model = draw(SLUG), draw(SLUG)
    run_id = f"{draw(SLUG)}_2026{draw(st.integers(10, 12))}01_00{draw(st.integers(1, 9))}"
    name = draw(st.sampled_from(["short_input", "long_input"]))
    source = f"outputs/{backend}/{model}/{run_id}/{name}_leaderboard.json"
    target = f"data/results/{backend}/{model}/{run_id}_{name}_leaderboard.json"
    oid = draw(st.text(HEX, min_size=40, max_size=40))
    return m.ManifestFile(
        source,
        target,
        draw(st.text(HEX, min_size=64, max_size=64)),
        draw(st.integers(1, 10**9)),
        oid,
        draw(st.one_of(st.none(), st.text(HEX, min_size=40, max_size=40))),
        oid[::-1],
        "2908b9e8-9376-4c5b-888f-a6e1ae007966",
        backend,
        model,
        run_id,
    )


def _by_json(data: bytes) -> m.Manifest:
    """The JSON reader alone (a text the rendered reader does not take: one more space)."""
    return load(data.replace(b'"format":', b'"format" :', 1), "x")[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(files(), max_size=5, unique_by=lambda f: f.source))
def test_rendered_and_json_readers_agree(items: list[m.ManifestFile]) -> None:
    data = m.render(items, config=Config(), rules="0123456789abcdef").encode()
    fast = load(data, "x")[0]
    assert fast == _by_json(data)
    assert fast.files == tuple(sorted(items, key=lambda f: f.source))


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace('"size": ', '"size": -', 1),
        lambda t: t.replace('"blob": "', '"blob": "X', 1),
        lambda t: t.replace("\n  ]\n}\n", "\n  ]\n}\n\n"),
        lambda t: t.replace('"run_id"', '"run_id_"', 1),
    ],
    ids=["negative size", "bad blob id", "trailing text", "unknown key"],
)
def test_a_text_the_rendered_reader_refuses_is_judged_as_json(edit: object) -> None:
    item = m.ManifestFile(
        "outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json",
        "data/results/cpu/gpt2/short_20260128_001_short_input_leaderboard.json",
        "a" * 64,
        10,
        "b" * 40,
        None,
        "c" * 40,
        "2908b9e8-9376-4c5b-888f-a6e1ae007966",
        "cpu",
        "gpt2",
        "short_20260128_001",
    )
    text = m.render([item], config=Config(), rules="0123456789abcdef")
    changed = edit(text)  # type: ignore[operator]
    try:
        json.loads(changed)
    except ValueError:
        pytest.skip("not JSON at all")  # pragma: no cover
    if changed.endswith("\n\n"):
        assert load(changed.encode(), "x")[0].files == (item,)  # still valid JSON, same value
        return
    with pytest.raises(IntegrityError, match="manifest-schema"):
        load(changed.encode(), "x")


@pytest.mark.parametrize("padding", ["[]", "{}", "1"])
def test_a_manifest_padded_with_values_is_refused_before_it_is_parsed(
    padding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse keeps every value (an empty list is 56 bytes, for 3 of text): more values
    than 200,000 entries hold is refused from a count of the text, and never parsed."""
    from benchsync_hooks.bench import reading
    from benchsync_hooks.bench.manifest import MAX_ENTRIES
    from benchsync_hooks.errors import IntegrityError

    def parsed(_data: object) -> object:
        raise AssertionError("parsed")

    monkeypatch.setattr(reading.json, "loads", parsed)
    many = MAX_ENTRIES * reading.VALUES_PER_ENTRY
    text = '{"format": "benchsync-manifest/v2", "x": [' + ",".join([padding] * many) + "]}"
    with pytest.raises(IntegrityError) as raised:
        reading.load(text, "m.json")
    found = raised.value.message
    assert found.startswith("m.json: manifest-size holds ") and found.endswith(
        " JSON values, more than 200,000 entries have; refusing it; regenerate it with "
        "'benchsync manifest --rebuild' in the benchmark repo"
    )
    assert int(found.split()[3].replace(",", "")) > many
