"""Which earlier website results a written result is compared with (sync/compare.py)."""

from __future__ import annotations

import random

import pytest

from benchsync_hooks.check.convention import parse_target
from benchsync_hooks.config import Config
from benchsync_hooks.git.listing import Entry
from benchsync_hooks.sync.compare import LOOK_BACK, earlier_runs

CONFIG = Config()
FOLDER = "data/results/cpu/gpt2"


def _site(*names: str) -> dict[str, Entry]:
    paths = [name if "/" in name else f"{FOLDER}/{name}" for name in names]
    return {path: Entry(path, "100644", f"{n:040x}") for n, path in enumerate(paths)}


TARGET = f"{FOLDER}/short_20260128_002_short_input_leaderboard.json"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], []),
        (  # latest first, the same day's earlier sequence included
            [
                "short_20260101_001_short_input_leaderboard.json",
                "short_20260128_001_short_input_leaderboard.json",
                "short_20260115_003_short_input_leaderboard.json",
            ],
            ["short_20260128_001", "short_20260115_003", "short_20260101_001"],
        ),
        (  # itself, later runs, other names, workloads and folders are no earlier run
            [
                "short_20260128_002_short_input_leaderboard.json",
                "short_20260128_003_short_input_leaderboard.json",
                "short_20260201_001_short_input_leaderboard.json",
                "short_20260101_001_long_input_leaderboard.json",
                "long_20260101_001_short_input_leaderboard.json",
                "data/results/cpu/llama/short_20260101_001_short_input_leaderboard.json",
                "data/results/cuda/gpt2/short_20260101_001_short_input_leaderboard.json",
            ],
            [],
        ),
        (  # a workload that ends like this one, and a name that contains it
            [
                "x-short_20260101_001_short_input_leaderboard.json",
                "short_20260101_001_x_short_input_leaderboard.json",
                "short_20260102_001_short_input_leaderboard.json",
            ],
            ["short_20260102_001"],
        ),
        (  # names that are no result of the convention: no date, a bad date, other files
            [
                "short_20261399_001_short_input_leaderboard.json",
                "short_2026010_001_short_input_leaderboard.json",
                "short_20260101_001_short_input_leaderboard.json.bak",
                "short_20260101_001_short_input.json",
                "short_20260103_001_short_input_leaderboard.json",
            ],
            ["short_20260103_001"],
        ),
    ],
)
def test_the_earlier_runs_of_a_result(names: list[str], expected: list[str]) -> None:
    found = earlier_runs(_site(*names), [TARGET], config=CONFIG)
    assert [run_id for run_id, _path, _blob in found[TARGET]] == expected
    site = _site(*names)
    assert all(site[path].blob == blob for _run, path, blob in found[TARGET])


def test_a_path_that_is_no_result_has_no_earlier_runs() -> None:
    site = _site("short_20260101_001_short_input_leaderboard.json")
    assert earlier_runs(site, [f"{FOLDER}/notes.json", "elsewhere/x.json"], config=CONFIG) == {}


def test_at_most_look_back_runs_are_given() -> None:
    names = [f"short_202601{day:02d}_001_short_input_leaderboard.json" for day in range(1, 28)]
    found = earlier_runs(_site(*names), [TARGET], config=CONFIG)[TARGET]
    assert len(found) == LOOK_BACK
    assert found[0][0] == "short_20260127_001" and found[-1][0] == "short_20260108_001"


def _one_by_one(site: dict[str, Entry], target: str) -> list[str]:
    """The definition, file by file: the website files of the target's backend, model,
    run workload and name, from an earlier run, latest first."""
    mine, _ = parse_target(target, CONFIG)
    assert mine is not None
    found = []
    for path, entry in site.items():
        theirs, _ = parse_target(path, CONFIG)
        if (
            theirs is not None
            and entry.is_file
            and theirs[:2] == mine[:2]
            and theirs[3] == mine[3]
            and theirs[2][:-13] == mine[2][:-13]
            and (theirs[2][-12:-4], theirs[2][-3:]) < (mine[2][-12:-4], mine[2][-3:])
        ):
            found.append(theirs[2])
    found.sort(key=lambda run_id: (run_id[-12:-4], run_id[-3:]), reverse=True)
    return found[:LOOK_BACK]


def test_many_targets_at_once_agree_with_the_definition() -> None:
    """A first sync of many results into folders of many, some of them no regular files:
    each result gets what the definition gives it alone (the targets are also website
    files here)."""
    rng = random.Random(1129)
    names = [
        f"{FOLDER if rng.random() < 0.8 else 'data/results/cpu/opt'}/"
        f"{rng.choice(['short', 'long', 'a_b'])}_202601{rng.randint(1, 28):02d}_"
        f"{rng.randint(1, 4):03d}_{rng.choice(['short_input', 'input', 'b_input'])}"
        "_leaderboard.json"
        for _ in range(600)
    ]
    site = _site(*names)
    for path in rng.sample(sorted(site), 120):  # submodules and links named like runs
        site[path] = Entry(path, rng.choice(["160000", "120000"]), site[path].blob)
    targets = rng.sample(sorted(site), 150)
    found = earlier_runs(site, targets, config=CONFIG)
    for target in targets:
        assert [run_id for run_id, _p, _b in found[target]] == _one_by_one(site, target), target


def test_what_is_no_regular_result_file_is_no_earlier_run() -> None:
    """A submodule (gitlink) or a link named like an earlier run, a name no file system
    holds, a sequence 000: none is compared with (and none is read)."""
    site = _site(
        "short_20260101_001_short_input_leaderboard.json",
        "short_20260110_000_short_input_leaderboard.json",
        "short" + "_20260102_001" * 40 + "_short_input_leaderboard.json",
    )
    for day, mode in [("20260103", "160000"), ("20260104", "120000")]:
        path = f"{FOLDER}/short_{day}_001_short_input_leaderboard.json"
        site[path] = Entry(path, mode, "f" * 40)
    found = earlier_runs(site, [TARGET], config=CONFIG)[TARGET]
    assert [run_id for run_id, _path, _blob in found] == ["short_20260101_001"]


def test_a_website_name_over_255_characters_is_no_result() -> None:
    long = f"{FOLDER}/short" + "_20260101_001" * 30 + "_short_input_leaderboard.json"
    assert parse_target(long, CONFIG) == (
        None,
        "file name is 424 characters, over the 255 a name may have",
    )
