"""What the website could not take is refused on the benchmark side already: names longer
than a file system allows on the website, and an entry_id twice in one file (an array).
(The website side of both: tests/test_hostile.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import RUN, BenchRepo, run_cli

from benchsync_hooks import samples
from benchsync_hooks.check.convention import NAME_MAX, PATH_MAX, parse_source, too_long
from benchsync_hooks.config import Config

WORKLOAD_RUN = "custom_20260128_001"  # a workload the default configuration does not restrict
#: the longest <name> whose website file name <run_id>_<name>_leaderboard.json fits
ROOM = NAME_MAX - len(f"{WORKLOAD_RUN}__leaderboard.json")


def _source(name: str, *, model: str = "gpt2") -> str:
    return f"outputs/cpu/{model}/{WORKLOAD_RUN}/{name}_leaderboard.json"


@pytest.mark.parametrize(
    ("source", "target_root", "message"),
    [
        (_source("a" * ROOM), "data/results", None),
        (
            _source("a" * (ROOM + 1)),
            "data/results",
            "its file name on the website, <run_id>_<name>_leaderboard.json, would be 256 "
            f"bytes, over the 255 a file system allows; shorten <name> to at most {ROOM} "
            "characters",
        ),
        (_source("short_input", model="m" * NAME_MAX), "data/results", None),
        (
            _source("short_input", model="m" * (NAME_MAX + 1)),
            "data/results",
            f"folder name {'m' * 20}… on the website would be 256 bytes, over the 255 a file "
            "system allows; shorten it",
        ),
        (
            _source("short_input"),
            "/".join(["d" * 99] * 41),
            "its website path would be 4,157 bytes, over the 4,096 a path may have; shorten "
            "the names on the way",
        ),
        (_source("short_input"), "/".join(["d" * 99] * 40), None),
    ],
    ids=["name at the limit", "name over", "folder at", "folder over", "path over", "path at"],
)
def test_too_long(source: str, target_root: str, message: str | None) -> None:
    config = Config(target_root=target_root)
    result, problems = parse_source(source, config)
    assert result is not None and not problems
    assert len(result.target(target_root)) <= PATH_MAX or message is not None
    found = too_long(result, config)
    assert (found and found.message) == message
    assert found is None or (found.path, found.rule, found.line) == (source, "layout-name", 0)


LONG_RUN = samples.Run("cpu", "gpt2", "custom", "20260128", 1, "a" * (ROOM + 12))
ARRAY_RUN = samples.Run("cpu", "gpt2", "short", "20260128", 2, "short_input")
ARRAYS = 'disable = ["layout-single-result"]\n'


def _long_name(bench: BenchRepo) -> tuple[str, str]:
    bench.add_run(LONG_RUN)
    return LONG_RUN.source, (
        "layout-name its file name on the website, <run_id>_<name>_leaderboard.json, would be "
        f"267 bytes, over the 255 a file system allows; shorten <name> to at most {ROOM} "
        "characters"
    )


def _id_twice(bench: BenchRepo) -> tuple[str, str]:
    bench.write(".benchsync.toml", ARRAYS)
    doc = samples.result(ARRAY_RUN)
    bench.write(ARRAY_RUN.source, [doc, {**doc, "metrics": {**doc["metrics"], "ttft_ms": 1.0}}])
    return ARRAY_RUN.source, (
        f"entry-id-unique entry_id {doc['entry_id']} is used by 2 results in this file; give "
        "each result its own entry_id (a new UUID)"
    )


def _id_thrice(bench: BenchRepo) -> tuple[str, str]:
    bench.write(".benchsync.toml", ARRAYS)
    doc = samples.result(ARRAY_RUN)
    other = samples.result(RUN)  # committed already: also an entry_id used by another file
    bench.write(ARRAY_RUN.source, [doc, doc, doc, other])
    return ARRAY_RUN.source, f"entry-id-unique entry_id {doc['entry_id']} is used by 3 results"


CASES: dict[str, Callable[[BenchRepo], tuple[str, str]]] = {
    "a website name over 255 bytes": _long_name,
    "an entry_id twice in one file": _id_twice,
    "an entry_id three times in one file": _id_thrice,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_hooks_and_check_refuse_it(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    bench.publish(RUN)
    source, line = CASES[case](bench)
    bench.stage()
    code, out, err = run_cli(capsys, "layout", source)
    assert (code, err) == (1, ""), out
    assert f"{source}: {line}" in out
    out = run_cli(capsys, "manifest")[1]  # (exit 1 only when the manifest changed)
    assert f"{source}: manifest-left-out not in the manifest: fails " in out
    assert source not in json.dumps(bench.manifest())
    bench.stage()
    code, out, _ = run_cli(capsys, "check")
    assert code == 1 and f"{source}: {line}" in out, out
    assert out.splitlines()[-1].startswith("2 files checked, ")


def test_the_website_check_refuses_an_entry_id_twice_in_one_file(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.write(".benchsync.toml", ARRAYS)
    doc = samples.result(ARRAY_RUN)
    bench.write(ARRAY_RUN.target, [doc, doc])
    code, out, _ = run_cli(capsys, "check", "--website")
    assert code == 1
    assert f"{ARRAY_RUN.target}: entry-id-unique entry_id {doc['entry_id']} is used by 2 " in out
