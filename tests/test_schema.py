"""`benchsync schema`: strict JSON, the leaderboard schema, the documented rules."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN, BenchRepo, run_cli

from benchsync_hooks import samples
from benchsync_hooks.check.schema import bundled_schema, checker_for

Doc = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Doc], Any]:
    def mutate(doc: Doc) -> Any:
        keys = path.split(".")
        node = doc
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        return doc

    return mutate


def _drop(path: str) -> Callable[[Doc], Any]:
    def mutate(doc: Doc) -> Any:
        keys = path.split(".")
        node = doc
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]
        return doc

    return mutate


def _both(*steps: Callable[[Doc], Any]) -> Callable[[Doc], Any]:
    def mutate(doc: Doc) -> Any:
        for step in steps:
            doc = step(doc)
        return doc

    return mutate


MULTI_NODE_CLUSTER = {"node_count": 2, "comm_backend": "nccl", "topology_type": "ring"}

# (case id, mutation, expected rule or None when the document stays valid)
MUTATIONS: list[tuple[str, Callable[[Doc], Any], str | None]] = [
    ("unchanged", lambda d: d, None),
    ("array of one", lambda d: [d], None),
    ("empty array", lambda d: [], None),
    ("missing entry_id", _drop("entry_id"), "schema-required"),
    ("missing metrics", _drop("metrics"), "schema-required"),
    ("missing metadata.submitter", _drop("metadata.submitter"), "schema-required"),
    (
        "entry_id upper case",
        _set("entry_id", "2908B9E8-9376-4C5B-888F-A6E1AE007966"),
        "schema-pattern",
    ),
    ("entry_id not uuid", _set("entry_id", "run-1"), "schema-pattern"),
    ("sagellm_version two parts", _set("sagellm_version", "0.3"), "schema-pattern"),
    ("sagellm_version N/A", _set("sagellm_version", "N/A"), "schema-pattern"),
    ("sagellm_version four parts", _set("sagellm_version", "0.3.0.7"), None),
    ("versions.core N/A", _set("versions.core", "N/A"), None),
    ("versions.core v-prefixed", _set("versions.core", "v1.0.0"), "schema-pattern"),
    ("versions.benchmark five parts", _set("versions.benchmark", "1.2.3.4.5"), "schema-pattern"),
    ("config_type unknown", _set("config_type", "cluster"), "schema-enum"),
    ("vendor lower case", _set("hardware.vendor", "nvidia"), "schema-enum"),
    ("vendor Huawei", _set("hardware.vendor", "Huawei"), None),
    ("chip_count zero", _set("hardware.chip_count", 0), "schema-minimum"),
    ("chip_count float", _set("hardware.chip_count", 1.5), "schema-type"),
    ("chip_count string", _set("hardware.chip_count", "1"), "schema-type"),
    (
        "no interconnect at all",
        _both(_drop("hardware.interconnect"), _drop("hardware.intra_node_interconnect")),
        "schema-anyOf",
    ),
    ("only intra_node_interconnect", _drop("hardware.interconnect"), None),
    ("only interconnect", _drop("hardware.intra_node_interconnect"), None),
    ("precision FP64", _set("model.precision", "FP64"), "schema-enum"),
    ("quantization null", _set("model.quantization", None), None),
    ("input_length zero", _set("workload.input_length", 0), "schema-minimum"),
    ("batch_size null", _set("workload.batch_size", None), None),
    ("ttft negative", _set("metrics.ttft_ms", -1), "schema-minimum"),
    ("ttft string", _set("metrics.ttft_ms", "12"), "schema-type"),
    ("throughput zero", _set("metrics.throughput_tps", 0), None),
    ("peak_mem float", _set("metrics.peak_mem_mb", 12.5), "schema-type"),
    ("error_rate above one", _set("metrics.error_rate", 1.5), "schema-maximum"),
    ("error_rate one", _set("metrics.error_rate", 1), None),
    ("prefix_hit_rate negative", _set("metrics.prefix_hit_rate", -0.1), "schema-minimum"),
    ("tbt_ms null", _set("metrics.tbt_ms", None), None),
    ("extra metric", _set("metrics.p99_ms", 3.0), None),
    (
        "cluster one node",
        _set("cluster", {**MULTI_NODE_CLUSTER, "node_count": 1}),
        "schema-minimum",
    ),
    (
        "cluster missing topology",
        _set("cluster", {"node_count": 2, "comm_backend": "nccl"}),
        "schema-required",
    ),
    ("cluster a string", _set("cluster", "two nodes"), "schema-oneOf"),
    (
        "multi_node with cluster",
        _both(_set("config_type", "multi_node"), _set("cluster", MULTI_NODE_CLUSTER)),
        None,
    ),
    ("cluster on single_gpu", _set("cluster", MULTI_NODE_CLUSTER), "cluster-single-node"),
    ("environment missing os", _drop("environment.os"), "schema-required"),
    ("kv_cache_config null", _set("kv_cache_config", None), None),
    ("kv enabled string", _set("kv_cache_config.enabled", "yes"), "schema-type"),
    ("verified string", _set("metadata.verified", "no"), "schema-type"),
    ("submitted_at number", _set("metadata.submitted_at", 20260128), "schema-type"),
    (
        "submitted_at no offset",
        _set("metadata.submitted_at", "2026-01-28T10:00:00"),
        "format-date-time",
    ),
    ("submitted_at words", _set("metadata.submitted_at", "yesterday"), "format-date-time"),
    ("release_date impossible", _set("metadata.release_date", "2026-02-30"), "format-date"),
    ("release_date null", _set("metadata.release_date", None), None),
    ("top level string", lambda d: "result", "schema-oneOf"),
    ("array holding a number", lambda d: [d, 3], "schema-type"),
]


def _doc() -> Doc:
    return copy.deepcopy(samples.result(RUN))


@pytest.mark.parametrize(("case", "mutate", "rule"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_verdicts(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    case: str,
    mutate: Callable[[Doc], Any],
    rule: str | None,
) -> None:
    bench.write("r_leaderboard.json", samples.dumps(mutate(_doc())))
    code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    if rule is None:
        assert (code, out) == (0, ""), case
    else:
        assert code == 1, case
        lines = out.splitlines()[:-1]
        assert all(line.startswith("r_leaderboard.json:") for line in lines), out
        assert any(f" {rule} " in line for line in lines), out


def test_at_least_thirty_mutations() -> None:
    assert len(MUTATIONS) >= 30


def test_fast_and_explaining_validators_agree() -> None:
    """The compiled validator's verdict equals jsonschema's on every mutation."""
    from jsonschema import Draft7Validator

    checker = checker_for("")
    reference = Draft7Validator(bundled_schema("leaderboard-v1.json"))
    for case, mutate, _rule in MUTATIONS:
        value = mutate(_doc())
        assert checker.is_valid(value) == reference.is_valid(value), case


WEBSITE_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "shared/reference/sagellm-website/leaderboard_v1.schema.json"
)


@pytest.mark.skipif(not WEBSITE_SCHEMA.is_file(), reason="reference schema not beside the repo")
def test_same_verdicts_as_the_website_schema() -> None:
    from jsonschema import Draft7Validator

    website = Draft7Validator(json.loads(WEBSITE_SCHEMA.read_text("utf-8")))
    ours = checker_for("")
    for case, mutate, _rule in MUTATIONS:
        value = mutate(_doc())
        assert ours.is_valid(value) == website.is_valid(value), case


def test_position_points_at_the_value(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("r_leaderboard.json", samples.dumps(_set("metrics.error_rate", 2)(_doc())))
    code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    text = (bench.root / "r_leaderboard.json").read_text("utf-8").splitlines()
    line_no = next(i for i, line in enumerate(text, 1) if '"error_rate": 2' in line)
    col = text[line_no - 1].index("2") + 1
    assert code == 1
    assert out.startswith(f"r_leaderboard.json:{line_no}:{col}: schema-maximum 2 is above")


def test_one_of_reports_the_branch_of_the_value_type(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _drop("metrics")(_doc())
    bench.write("r_leaderboard.json", samples.dumps(doc))
    _code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    assert "schema-required missing required key 'metrics' in the top level" in out
    assert "array" not in out
    assert "{" not in out


STRICT: list[tuple[str, bytes, str, str]] = [
    ("duplicate key", b'{"a": 1,\n "a": 2}', "json-duplicate-key", "x_leaderboard.json:2:2:"),
    ("NaN", b'{"a": NaN}', "json-constant", "x_leaderboard.json:1:7:"),
    ("Infinity", b'{"a": [1, -Infinity]}', "json-constant", "x_leaderboard.json:1:11:"),
    ("NaN inside a string is fine but bad syntax", b'{"a": "NaN",}', "json-syntax", ":1:"),
    ("empty", b"", "json-empty", "x_leaderboard.json: json-empty"),
    ("whitespace", b"  \n", "json-empty", "x_leaderboard.json: json-empty"),
    ("BOM", b'\xef\xbb\xbf{"a": 1}', "json-encoding", "x_leaderboard.json:1:1:"),
    ("latin-1", b'{"a": "caf\xe9"}', "json-encoding", "x_leaderboard.json:1:11:"),
    ("truncated", b'{"a": [1, 2', "json-syntax", "x_leaderboard.json:1:"),
    (
        "a comma before }",
        b'{\n  "a": null,\n  "b": 1,\n}\n',
        "json-syntax",
        "x_leaderboard.json:3:9: json-syntax invalid JSON: a comma before '}'; remove it",
    ),
    (
        "a comma before ]",
        b'{"a": [1, 2 ,  \n ]}',
        "json-syntax",
        "x_leaderboard.json:1:13: json-syntax invalid JSON: a comma before ']'; remove it",
    ),
    (
        "two commas",
        b'{"a": [1,, 2]}',
        "json-syntax",
        "x_leaderboard.json:1:10: json-syntax invalid JSON: Expecting value; fix the syntax",
    ),
    ("deep", b"[" * 100_000, "json-depth", "x_leaderboard.json:1:65:"),
    ("deep objects", b'{"a":' * 70 + b"1" + b"}" * 70, "json-depth", "x_leaderboard.json:1:"),
]


@pytest.mark.parametrize(("case", "data", "rule", "prefix"), STRICT, ids=[s[0] for s in STRICT])
def test_strict_json(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    case: str,
    data: bytes,
    rule: str,
    prefix: str,
) -> None:
    bench.write("x_leaderboard.json", data)
    code, out, err = run_cli(capsys, "schema", "x_leaderboard.json")
    assert code == 1, case
    assert err == ""
    assert f" {rule} " in out.splitlines()[0], out
    assert prefix in out.splitlines()[0]


def test_size_limit_checked_before_reading(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bench.root / "big_leaderboard.json"
    with path.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)
    code, out, _ = run_cli(capsys, "schema", "big_leaderboard.json")
    assert code == 1
    assert "big_leaderboard.json: json-size file is 3.0 MiB, over the 1.0 MiB limit" in out


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # no writer: an open that waits for one never returns


def _folder(path: Path) -> None:
    path.mkdir()


#: (case, what makes the name, what the line calls it)
NOT_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    ("named pipe", _fifo, "a named pipe"),
    ("directory", _folder, "a directory"),
]


@pytest.mark.parametrize("command", ["schema", "layout"])
@pytest.mark.parametrize(("case", "make", "kind"), NOT_FILES, ids=[n[0] for n in NOT_FILES])
def test_a_name_that_is_no_regular_file_is_refused_without_waiting(
    bench: BenchRepo,
    capsys: pytest.CaptureFixture[str],
    command: str,
    case: str,
    make: Callable[[Path], None],
    kind: str,
) -> None:
    rel = RUN.source
    (bench.root / rel).parent.mkdir(parents=True)
    make(bench.root / rel)
    code, out, err = run_cli(capsys, command, rel)
    assert (code, err) == (1, ""), case
    assert (
        f"{rel}: file-unreadable cannot read: is {kind}, not a regular file; "
        "pass the result file itself"
    ) in out.splitlines()


def test_a_file_whose_canonical_form_is_over_the_limit_is_refused(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The website stores the canonical form (indented, non-ASCII escaped as \\uXXXX): a
    file under max_file_size whose stored form is over it would fail the website's check."""
    bench.write(".benchsync.toml", "max_file_size = 20000\n")
    doc = _doc()
    doc["hardware"]["chip_model"] = "\u00e9" * 5000  # 10 KB as UTF-8, 30 KB escaped
    bench.write("r_leaderboard.json", json.dumps(doc, ensure_ascii=False).encode())
    assert (bench.root / "r_leaderboard.json").stat().st_size < 20000
    code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    assert code == 1
    assert (
        "r_leaderboard.json: json-size its canonical form (what the website stores: indented, "
        "non-ASCII escaped) is "
    ) in out


def test_one_bad_file_never_stops_the_others(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.write("a_leaderboard.json", b"{")
    bench.write("b_leaderboard.json", samples.dumps(_drop("entry_id")(_doc())))
    bench.write("c_leaderboard.json", samples.dumps(_doc()))
    code, out, _ = run_cli(
        capsys, "schema", "a_leaderboard.json", "b_leaderboard.json", "c_leaderboard.json"
    )
    assert code == 1
    assert "a_leaderboard.json:1:2: json-syntax" in out
    assert "b_leaderboard.json:1:1: schema-required missing required key 'entry_id'" in out
    assert "c_leaderboard.json" not in out
    assert "3 files checked, 2 invalid, 2 problems" in out


def test_all_problems_of_a_file_are_listed(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _both(_set("metrics.error_rate", 3), _set("hardware.vendor", "ACME"), _drop("model"))(
        _doc()
    )
    bench.write("r_leaderboard.json", samples.dumps(doc))
    _code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    rules = [line.split()[1] for line in out.splitlines()[:-1]]
    assert sorted(rules) == ["schema-enum", "schema-maximum", "schema-required"]


def test_json_format(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("r_leaderboard.json", samples.dumps(_set("metrics.ttft_ms", -2)(_doc())))
    code, out, _ = run_cli(capsys, "schema", "--format", "json", "r_leaderboard.json")
    doc = json.loads(out)
    assert code == 1
    assert doc["ok"] is False
    [problem] = doc["problems"]
    assert problem["pointer"] == "/metrics/ttft_ms"
    assert problem["rule"] == "schema-minimum"
    assert set(problem) == {"path", "line", "column", "pointer", "rule", "message"}


def test_github_format_and_actions_default(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.write("r_leaderboard.json", samples.dumps(_set("metrics.ttft_ms", -2)(_doc())))
    _code, out, _ = run_cli(capsys, "schema", "--format", "github", "r_leaderboard.json")
    assert out.startswith("::error file=r_leaderboard.json,line=")
    assert ",title=schema-minimum::-2 is below the minimum 0" in out
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    lines = out.splitlines()
    assert lines[0].startswith("r_leaderboard.json:")
    assert lines[-1].startswith("::error file=r_leaderboard.json")


def test_documented_rules_can_be_disabled(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _both(
        _set("cluster", MULTI_NODE_CLUSTER),
        _set("metadata.submitted_at", "2026-01-28 10:00"),
        _set("metadata.release_date", "28/01/2026"),
    )(_doc())
    bench.write("r_leaderboard.json", samples.dumps(doc))
    code, out, _ = run_cli(capsys, "schema", "r_leaderboard.json")
    assert code == 1
    assert {line.split()[1] for line in out.splitlines()[:-1]} == {
        "cluster-single-node",
        "format-date-time",
        "format-date",
    }
    bench.write(
        ".benchsync.toml",
        'disable = ["cluster-single-node", "format-date-time", "format-date"]\n',
    )
    assert run_cli(capsys, "schema", "r_leaderboard.json")[:2] == (0, "")


def test_custom_schema(bench: BenchRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bench.write("strict.json", {"type": "object", "required": ["only_this"]})
    bench.write("r_leaderboard.json", samples.dumps(_doc()))
    code, out, _ = run_cli(capsys, "schema", "--schema", "strict.json", "r_leaderboard.json")
    assert code == 1
    assert "missing required key 'only_this'" in out


def test_schema_does_not_import_git_or_network(bench: BenchRepo) -> None:
    import subprocess
    import sys

    bench.write("r_leaderboard.json", samples.dumps(_doc()))
    probe = (
        "import sys\n"
        "from benchsync_hooks.cli import main\n"
        "code = main(['schema', 'r_leaderboard.json'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('git', 'github', 'requests', 'urllib3', 'http', 'jsonschema', 'pathspec'))\n"
        "print(code, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=bench.root, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0 []"


@pytest.mark.parametrize("items", [150, 5_000], ids=["150 bad results", "5,000 bad results"])
def test_an_array_of_many_bad_results_reports_a_bounded_number_of_problems(
    bench: BenchRepo, capsys: pytest.CaptureFixture[str], items: int
) -> None:
    """Each empty object misses every required key: the first 100 problems are shown,
    then one ``schema-many`` line (the explainer is given the first 1,000 items: an array
    of 200,000 took gigabytes)."""
    bench.write(RUN.source, [{}] * items)
    code, out, _err = run_cli(capsys, "schema", RUN.source)
    assert code == 1
    lines = out.splitlines()
    assert sum(" schema-required " in line for line in lines) == 100
    assert (
        f"{RUN.source}: schema-many more than 100 schema problems: the first 100 are shown; "
        "fix those and check again"
    ) in lines
    assert lines[-1] == "1 file checked, 1 invalid, 101 problems"
