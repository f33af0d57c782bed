"""Property-based tests: mapping round-trips, order-free manifests, no crash on mutations."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchsync_hooks import samples
from benchsync_hooks.bench.manifest import ManifestFile, render
from benchsync_hooks.bench.reading import load
from benchsync_hooks.check.content import check_content
from benchsync_hooks.check.convention import parse_source, parse_target
from benchsync_hooks.config import Config

CONFIG = Config()
slug = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)
model = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
workload = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)
name = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)
day = st.dates(min_value=__import__("datetime").date(2000, 1, 1))
sequence = st.integers(min_value=1, max_value=999)


@settings(max_examples=300, deadline=None)
@given(slug, model, workload, day, sequence, name)
def test_source_to_target_round_trip(
    backend: str, model_dir: str, work: str, when: Any, seq: int, stem: str
) -> None:
    run_id = f"{work}_{when:%Y%m%d}_{seq:03d}"
    source = f"outputs/{backend}/{model_dir}/{run_id}/{stem}_leaderboard.json"
    parsed, problems = parse_source(source, CONFIG)
    assert problems == [] and parsed is not None
    assert (parsed.backend, parsed.model, parsed.run_id, parsed.name) == (
        backend,
        model_dir,
        run_id,
        stem,
    )
    target = parsed.target(CONFIG.target_root)
    parts, reason = parse_target(target, CONFIG)
    assert reason == "" and parts is not None
    back = f"outputs/{parts[0]}/{parts[1]}/{parts[2]}/{parts[3]}_leaderboard.json"
    assert parse_source(back, CONFIG)[0] is not None
    assert back_target_equal(back, target)


def back_target_equal(source: str, target: str) -> bool:
    parsed, _ = parse_source(source, CONFIG)
    return parsed is not None and parsed.target(CONFIG.target_root) == target


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_arbitrary_paths_never_crash(path: str) -> None:
    parsed, problems = parse_source(path, CONFIG)
    assert (parsed is None) == bool(problems)
    if parsed is not None:
        target = parsed.target(CONFIG.target_root)
        assert target.startswith("data/results/") and ".." not in target.split("/")


@settings(max_examples=100, deadline=None)
@given(st.permutations(list(range(12))), st.integers(min_value=0, max_value=2**32))
def test_manifest_bytes_do_not_depend_on_order(order: list[int], seed: int) -> None:
    runs = samples.runs(12)
    rng = random.Random(seed)
    files = [
        ManifestFile(
            source=r.source,
            target=r.target,
            sha256=f"{rng.getrandbits(256):064x}",
            size=100 + i,
            blob=f"{rng.getrandbits(160):040x}",
            config_blob=None if rng.random() < 0.3 else f"{rng.getrandbits(160):040x}",
            target_blob=f"{rng.getrandbits(160):040x}",
            entry_id=samples.result(r)["entry_id"],
            backend=r.backend,
            model=r.model,
            run_id=r.run_id,
        )
        for i, r in enumerate(runs)
    ]
    rules = f"{seed:016x}"[-16:]
    shuffled = [files[i] for i in order]
    text = render(shuffled, config=CONFIG, rules=rules)
    assert text == render(files, config=CONFIG, rules=rules)
    assert text == render(sorted(files, key=lambda f: f.source), config=CONFIG, rules=rules)
    loaded, _ = load(text.encode(), "m.json")
    assert list(loaded.files) == sorted(files, key=lambda f: f.source)
    assert loaded.rules == rules


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _mutate(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_mutations_never_crash_the_checks(data: st.DataObject) -> None:
    doc = samples.result(RUN)
    paths = _paths(doc)
    path = data.draw(st.sampled_from(paths))
    value = data.draw(json_values)
    delete = data.draw(st.booleans())
    mutated = _mutate(doc, path, value, delete)
    raw = json.dumps(mutated, allow_nan=True).encode()
    parsed, facts, problems = check_content(raw, "x_leaderboard.json", CONFIG)
    assert (parsed is None) == (facts is None)
    for problem in problems:
        assert problem.rule and problem.message and "\n" not in problem.message
        assert problem.line >= 0 and problem.column >= 0


#: Mutated documents checked by one ``benchsync schema`` process (as pre-commit passes a
#: hook many files at once): 40 documents in 8 processes.
PER_PROCESS = 5


@pytest.mark.slow(3)
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_random_mutations_exit_0_or_1(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("mut")
    names = []
    for index in range(PER_PROCESS):
        doc = samples.result(RUN)
        mutated = _mutate(
            doc,
            data.draw(st.sampled_from(_paths(doc))),
            data.draw(json_values),
            data.draw(st.booleans()),
        )
        names.append(f"m{index}_leaderboard.json")
        (Path(folder) / names[-1]).write_text(json.dumps(mutated, allow_nan=True))
    proc = subprocess.run(
        [sys.executable, "-m", "benchsync_hooks", "schema", *names],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    problems = [line for line in proc.stdout.splitlines() if line.startswith("m")]
    assert (proc.returncode == 1) == bool(problems), proc.stdout
    assert all(line.split(":", 1)[0] in names for line in problems), proc.stdout


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["add", "modify", "delete", "move", "stray", "broken", "config", "clash", "unstage"]
        ),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow(5)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_manifest_from_memory_equals_a_cold_one(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]]
) -> None:
    """Whatever happens to the index, the manifest written while reusing the staged one
    (as the hook does on every commit) equals the one of a cold run."""
    import os

    from conftest import BenchRepo, init_repo

    from benchsync_hooks.bench.regen import compute
    from benchsync_hooks.cli import main
    from benchsync_hooks.context import context_for
    from benchsync_hooks.git import open_repo

    bench = BenchRepo(init_repo(tmp_path_factory.mktemp("inc") / "b"))
    manifest = bench.root / "outputs/sync-manifest.json"
    pool = samples.runs(40)
    live = pool[:8]
    for run in live:
        bench.add_run(run)
    bench.stage()
    cwd = os.getcwd()
    os.chdir(bench.root)
    try:
        main(["manifest"])
        bench.stage()
        for op, n in ops:
            run = pool[n % len(pool)]
            target = live[n % len(live)] if live else run
            if op == "add" and run not in live:
                bench.add_run(run)
                live.append(run)
            elif op == "modify" and live:
                bench.write(target.source, samples.result(target, seed=n))
            elif op == "delete" and live:
                bench.git("rm", "-q", "-f", "--ignore-unmatch", target.source)
                live.remove(target)
            elif op == "move" and live:
                moved = samples.Run(
                    target.backend, target.model, target.workload, target.day, 900, target.name
                )
                (bench.root / moved.source).parent.mkdir(parents=True, exist_ok=True)
                if moved in live:
                    continue
                bench.git("mv", target.source, moved.source)
                live[live.index(target)] = moved
            elif op == "stray":
                bench.write(f"outputs/stray{n}/x_leaderboard.json", samples.result(run))
            elif op == "broken":
                bench.write(run.source, b"{")
            elif op == "config" and live:
                cfg = samples.run_config(target) | {"backend": "other"}
                bench.write(str(Path(target.source).parent / "config.json"), cfg)
            elif op == "clash" and live:
                bench.write(
                    run.source, samples.result(run, entry_id=samples.result(target)["entry_id"])
                )
            elif op == "unstage":
                bench.git(
                    "rm", "-q", "-f", "--cached", "--ignore-unmatch", "outputs/sync-manifest.json"
                )
            bench.git("add", "-A", "--", ":!outputs/sync-manifest.json")
            main(["manifest"])
            warm = manifest.read_bytes()
            ctx = context_for(bench.root)
            repo = open_repo(ctx.root)
            try:
                cold = compute(ctx, repo, cold=True)
            finally:
                repo.close()
            assert warm == cold.data, (op, n)
            assert not cold.stale
            bench.git("add", "outputs/sync-manifest.json")  # as the committer does
    finally:
        os.chdir(cwd)
