"""The bulk proof agrees with the entry-by-entry check: it accepts only what that check
accepts, and then sorts the entries the same way; anything else goes back to it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchsync_hooks.bench import manifest as m
from benchsync_hooks.bench.reading import load
from benchsync_hooks.config import Config
from benchsync_hooks.errors import IntegrityError
from benchsync_hooks.git.listing import Entry, Listing
from benchsync_hooks.sync.bulk import Sorted, Swept, false_claims, sort_entries, sweep
from benchsync_hooks.sync.plan import _sort_claims
from benchsync_hooks.sync.verify import verify_structure

HEX = "0123456789abcdef"
SLUG = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
OID = st.text(HEX, min_size=40, max_size=40)
CONFIG = Config()


@st.composite
def results(draw: st.DrawFn) -> tuple[m.ManifestFile, Entry, Entry | None]:
    """One manifest entry, its source's listing entry and the config.json beside it."""
    backend, model = draw(SLUG), draw(st.sampled_from(["gpt2", "GPT2", "Qwen2.5-7B", "m"]))
    run_id = f"{draw(SLUG)}_2026{draw(st.integers(10, 12))}0{draw(st.integers(1, 9))}_00"
    run_id += str(draw(st.integers(1, 9)))
    name = draw(st.sampled_from(["short_input", "long_input"]))
    source = f"outputs/{backend}/{model}/{run_id}/{name}_leaderboard.json"
    target = f"data/results/{backend}/{model}/{run_id}_{name}_leaderboard.json"
    blob, size = draw(OID), draw(st.integers(1, 10**6))
    config_blob = draw(st.one_of(st.none(), OID))
    item = m.ManifestFile(
        source,
        target,
        draw(st.text(HEX, min_size=64, max_size=64)),
        size,
        blob,
        config_blob,
        draw(OID),
        "2908b9e8-9376-4c5b-888f-a6e1ae007966",
        backend,
        model,
        run_id,
    )
    beside = None
    if config_blob is not None:
        beside = Entry(source.rpartition("/")[0] + "/config.json", "100644", config_blob, 90)
    return item, Entry(source, "100644", blob, size), beside


def _render(items: list[m.ManifestFile]) -> str:
    return m.render(items, config=CONFIG, rules="0123456789abcdef")


def _listing(found: Sequence[tuple[m.ManifestFile, Entry, Entry | None]]) -> dict[str, Entry]:
    listing: dict[str, Entry] = {}
    for _item, entry, beside in found:
        listing[entry.path] = entry
        if beside is not None:
            listing[beside.path] = beside
    return listing


def _as_listing(entries: dict[str, Entry]) -> Listing:
    """The same files as git's listing gives them."""
    listing = Listing({})
    for entry in entries.values():
        listing.add(entry)
    return listing


def _one_by_one(text: str, listing: dict[str, Entry], site: dict[str, Entry]) -> Sorted | None:
    manifest, found = load(text.encode(), "x")
    claims, problems = verify_structure(manifest, found, listing, config=CONFIG, short="s")
    return None if problems else _sort_claims(claims, site)


def _swept(text: str, listing: dict[str, Entry], *, config: Config = CONFIG) -> Swept | None:
    return sweep(text, listing=_as_listing(listing), site=Listing({}), config=config)


def _in_bulk(text: str, listing: dict[str, Entry], site: dict[str, Entry]) -> Sorted | None:
    swept = sweep(text, listing=_as_listing(listing), site=_as_listing(site), config=CONFIG)
    if swept is None or not swept.holds:
        return None
    return sort_entries(swept, listing=_as_listing(listing))


def _site(items: list[m.ManifestFile], kinds: list[int]) -> dict[str, Entry]:
    """A website holding each target as absent (0), the canonical form (1), the source's
    bytes (2) or something else (3)."""
    site: dict[str, Entry] = {}
    for item, kind in zip(items, kinds, strict=False):
        blob = {1: item.target_blob, 2: item.blob, 3: "f" * 40}.get(kind)
        if blob is not None:
            site[item.target] = Entry(item.target, "100644", blob)
    return site


@settings(max_examples=80, deadline=None)
@given(
    st.lists(results(), min_size=1, max_size=6, unique_by=lambda r: r[0].source),
    st.lists(st.integers(0, 3), min_size=6, max_size=6),
)
def test_bulk_sorts_as_the_entry_by_entry_check(
    found: list[tuple[m.ManifestFile, Entry, Entry | None]], kinds: list[int]
) -> None:
    items = [f[0] for f in found]
    text, listing, site = _render(items), _listing(found), _site(items, kinds)
    slow = _one_by_one(text, listing, site)
    fast = _in_bulk(text, listing, site)
    assert (fast is None) == (slow is None)  # the two accept the same manifests
    assert slow == fast  # the same writes, unchanged and kept


def _sample() -> tuple[list[m.ManifestFile], dict[str, Entry]]:
    found = []
    for n, model in enumerate(["gpt2", "llama", "qwen"]):
        run_id = f"short_2026110{n + 1}_001"
        source = f"outputs/cuda/{model}/{run_id}/short_input_leaderboard.json"
        blob, config_blob = f"{n + 1}" * 40, f"c{n}" * 20
        item = m.ManifestFile(
            source,
            f"data/results/cuda/{model}/{run_id}_short_input_leaderboard.json",
            "a" * 64,
            100 + n,
            blob,
            config_blob,
            f"e{n}" * 20,
            f"2908b9e8-9376-4c5b-888f-a6e1ae00796{n}",
            "cuda",
            model,
            run_id,
        )
        beside = Entry(source.rpartition("/")[0] + "/config.json", "100644", config_blob, 9)
        found.append((item, Entry(source, "100644", blob, 100 + n), beside))
    return [f[0] for f in found], _listing(found)


Edit = Callable[[str], str]


def _twice(text: str) -> str:
    """The first entry listed twice in a row."""
    start = text.index("    {\n")
    end = text.index("    }", start) + len("    }")
    return text[:end] + ",\n" + text[start:end] + text[end:]


#: Texts the bulk proof must not take (each is read entry by entry instead).
NOT_PROVEN: list[tuple[str, Edit]] = [
    ("entries out of order", lambda t: t.replace("gpt2", "zzz1").replace("qwen", "aaa1")),
    ("an entry listed twice", _twice),
    ("a target unlike its source", lambda t: t.replace("results/cuda/qwen", "results/cuda/x", 1)),
    ("a backend field unlike the path", lambda t: t.replace('"backend": "cuda"', '"backend": "c"')),
    ("no such day", lambda t: t.replace("20261103", "20261131")),
    ("run number 000", lambda t: t.replace("20261102_001", "20261102_000")),
    ("text between entries", lambda t: t.replace("},\n    {", "}, \n    {", 1)),
    ("a trailing comma", lambda t: t.replace("\n  ]\n}\n", ",\n  ]\n}\n")),
    (
        "another target root",
        lambda t: t.replace('"target_root": "data/results"', '"target_root": "d"'),
    ),
    ("a key out of place", lambda t: t.replace('"sha256"', '"sha265"', 1)),
    ("a dot segment", lambda t: t.replace("/gpt2/", "/./", 2)),
]


@pytest.mark.parametrize(("case", "edit"), NOT_PROVEN, ids=[c for c, _ in NOT_PROVEN])
def test_what_the_bulk_proof_does_not_take(case: str, edit: Edit) -> None:
    items, listing = _sample()
    text = _render(items)
    proven = _swept(text, listing)
    assert proven is not None and proven.holds, "the sample is proven"
    swept = _swept(edit(text), listing)
    assert swept is None or not swept.holds, case


#: Listings that break a claim: the columns are read, the sources do not hold.
SOURCES_DO_NOT_HOLD: list[tuple[str, Callable[[dict[str, Entry]], object]]] = [
    ("another blob", lambda ls: _change(ls, "short_2026110", blob="9" * 40)),
    ("another size", lambda ls: _change(ls, "short_2026110", size=7)),
    ("a symbolic link", lambda ls: _change(ls, "short_2026110", mode="120000")),
    ("a missing source", lambda ls: ls.pop(next(p for p in ls if p.endswith("board.json")))),
    ("another config.json", lambda ls: _change(ls, "config.json", blob="8" * 40)),
    ("no config.json", lambda ls: ls.pop(next(p for p in ls if p.endswith("config.json")))),
]


def _change(listing: dict[str, Entry], part: str, **values: object) -> None:
    path = next(p for p in listing if part in p)
    listing[path] = listing[path]._replace(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "edit"), SOURCES_DO_NOT_HOLD, ids=[c for c, _ in SOURCES_DO_NOT_HOLD]
)
def test_claims_the_source_listing_breaks(
    case: str, edit: Callable[[dict[str, Entry]], object]
) -> None:
    items, listing = _sample()
    text = _render(items)
    proven = _swept(text, listing)
    assert proven is not None and proven.holds
    edit(listing)
    swept = _swept(text, listing)
    assert swept is not None and swept.failing and not swept.gaps, case
    files = _as_listing(listing)
    named = false_claims(swept, listing=files, config=CONFIG, short="s", display="x")
    manifest, found = load(text.encode(), "x")
    _claims, problems = verify_structure(manifest, found, listing, config=CONFIG, short="s")
    assert named == problems != [], "named as the entry-by-entry check names them"


def test_only_allowed_backends_are_proven() -> None:
    items, listing = _sample()
    text = _render(items)
    allowed = _swept(text, listing, config=Config(backends=("cuda",)))
    assert allowed is not None and allowed.holds
    other = _swept(text, listing, config=Config(backends=("cpu",)))
    assert other is not None and [row for row, _source in other.failing] == [0, 1, 2]


def test_targets_differing_only_in_case_are_not_proven() -> None:
    items, listing = _sample()
    twin = items[0]._replace(
        source=items[0].source.replace("/gpt2/", "/GPT2/"),
        target=items[0].target.replace("/gpt2/", "/GPT2/"),
        model="GPT2",
    )
    for path in (twin.source, twin.source.rpartition("/")[0] + "/config.json"):
        listing[path] = listing[path.replace("/GPT2/", "/gpt2/")]._replace(path=path)
    text = _render([*items, twin])
    assert _swept(text, listing) is None
    manifest, found = load(text.encode(), "x")
    _claims, problems = verify_structure(manifest, found, listing, config=CONFIG, short="s")
    assert [p.rule for p in problems] == ["manifest-duplicate"]


#: Lies in one entry (the middle one): the others are proven, this one is checked alone.
ONE_LIE: list[tuple[str, Edit]] = [
    ("a target in another folder", lambda t: t.replace("results/cuda/llama", "results/cpu/llama")),
    ("a model field unlike the path", lambda t: t.replace('"model": "llama"', '"model": "l"')),
    ("run number 000", lambda t: t.replace("20261102_001", "20261102_000")),
    ("no such day", lambda t: t.replace("20261102", "20261131")),
    ("an upper-case backend", lambda t: t.replace("cuda/llama", "CUDA/llama")),
]


@pytest.mark.parametrize(("case", "edit"), ONE_LIE, ids=[c for c, _ in ONE_LIE])
def test_one_false_entry_is_named_as_the_entry_by_entry_check_names_it(
    case: str, edit: Edit
) -> None:
    items, listing = _sample()
    text = edit(_render(items))
    swept = _swept(text, listing)
    assert swept is not None and not swept.holds, case
    named = false_claims(swept, listing=_as_listing(listing), config=CONFIG, short="s", display="x")
    manifest, found = load(text.encode(), "x")
    _claims, problems = verify_structure(manifest, found, listing, config=CONFIG, short="s")
    assert named == problems != [], case
    assert all(p.pointer.startswith("/files/1/") for p in problems)


def test_a_path_for_the_json_schema_is_left_to_the_entry_by_entry_read() -> None:
    items, listing = _sample()
    text = _render(items).replace("data/results/cuda/llama", "../x/llama")
    swept = _swept(text, listing)
    assert swept is not None and [g.rows_before for g in swept.gaps] == [1]
    files = _as_listing(listing)
    assert false_claims(swept, listing=files, config=CONFIG, short="s", display="x") is None
    with pytest.raises(IntegrityError, match="manifest-schema"):
        load(text.encode(), "x")


def test_text_before_an_entry_that_is_no_separator_is_not_proven() -> None:
    """A false entry, then two characters that are not ``,\\n`` before the next one: the
    JSON reader names the syntax error, so the sweep leaves it to it."""
    items, listing = _sample()
    text = _render(items).replace('"model": "llama"', '"model": "l"')
    at = text.index("    {", text.index('"model": "l"'))
    broken = text[: at - 2] + "XY" + text[at:]
    assert _swept(text, listing) is not None
    assert _swept(broken, listing) is None
    with pytest.raises(IntegrityError, match="manifest-schema"):
        load(broken.encode(), "x")
