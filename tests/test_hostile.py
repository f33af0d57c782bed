"""Hostile input on the trust boundary: each case is one clear line, and nothing is written.

A pull request to the benchmark repository must never be able to write outside
data/results/ of the website, nor leave it half-written.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BRANCH, RUNS, Pair, blob_id, canonical_bytes, run_cli

from benchsync_hooks import samples
from benchsync_hooks.rules import RULES


def _commit_raw(pair: Pair, rel: str, data: bytes, *, symlink_to: str | None = None) -> None:
    """Commit a file (or a symlink) in the source and list it honestly in the manifest."""
    path = pair.bench.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if symlink_to is not None:
        path.symlink_to(symlink_to)
        data = symlink_to.encode()
    else:
        path.write_bytes(data)
    pair.bench.stage()
    pair.bench.commit("raw")
    parts = rel.split("/")
    _list_honestly(
        pair,
        rel,
        data,
        target=f"data/results/{parts[1]}/{parts[2]}/{parts[3]}_{parts[4]}",
    )


def _target_blob(data: bytes) -> str:
    """The blob id of the form the website would receive (any id when it is no JSON)."""
    try:
        return blob_id(canonical_bytes(data))
    except (ValueError, RecursionError):
        return blob_id(data)


def _list_honestly(
    pair: Pair,
    rel: str,
    data: bytes,
    *,
    target: str,
    entry_id: str = "00000000-0000-4000-8000-0000000000aa",
) -> None:
    """Add an entry for ``rel`` to the committed manifest with true claims about ``data``."""
    parts = rel.split("/")
    doc = pair.bench.manifest()
    beside = pair.bench.root / rel.rpartition("/")[0] / "config.json"
    doc["files"].append(
        {
            "source": rel,
            "target": target,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "blob": blob_id(data),
            "config_blob": blob_id(beside.read_bytes()) if beside.is_file() else None,
            "target_blob": _target_blob(data),
            "entry_id": entry_id,
            "backend": parts[1],
            "model": parts[2],
            "run_id": parts[3],
        }
    )
    doc["files"].sort(key=lambda f: f["source"])
    pair.bench.write("outputs/sync-manifest.json", json.dumps(doc, indent=2) + "\n")
    pair.bench.stage()
    pair.bench.commit("manifest lists it")


EVIL = "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json"


def _claim(**changes: Any) -> Callable[[Pair], None]:
    def setup(pair: Pair) -> None:
        def mutate(doc: dict[str, Any]) -> None:
            doc["files"][0].update(changes)

        pair.tamper(mutate)

    return setup


def _deep(pair: Pair) -> None:
    _commit_raw(pair, EVIL, b"[" * 100_000 + b"]" * 100_000)


def _huge(pair: Pair) -> None:
    _commit_raw(pair, EVIL, b'{"x": "' + b"a" * (60 * 1024 * 1024) + b'"}')


def _with(data: bytes) -> Callable[[Pair], None]:
    return lambda pair: _commit_raw(pair, EVIL, data)


def _good_doc(**overrides: Any) -> bytes:
    run = samples.Run("cpu", "gpt2", "short", "20260201", 1, "short_input")
    doc = samples.result(run, entry_id="00000000-0000-4000-8000-0000000000aa", **overrides)
    return samples.dumps(doc).encode()


def _lookalike(pair: Pair) -> None:
    rel = "outputs/cpu/g\u0440t2/short_20260201_001/short_input_leaderboard.json"  # Cyrillic р
    _commit_raw(pair, rel, _good_doc(model__name="g\u0440t2"))


def _case_clash(pair: Pair) -> None:
    rel = "outputs/cpu/GPT2/short_20260128_001/short_input_leaderboard.json"
    _commit_raw(pair, rel, _good_doc(model__name="GPT2"))


def _case_clash_folder(pair: Pair) -> None:
    """Another run, in a model folder that differs from one of RUNS only in case."""
    rel = "outputs/cpu/GPT2/short_20260201_002/short_input_leaderboard.json"
    _commit_raw(pair, rel, _good_doc(model__name="GPT2"))


def _oversized_config(pair: Pair) -> None:
    """A config.json over 1 MiB beside a result (the hooks leave the result out)."""
    run = samples.Run("cpu", "gpt2", "short", "20260201", 1, "short_input")
    beside = pair.bench.root / EVIL.rpartition("/")[0] / "config.json"
    beside.parent.mkdir(parents=True, exist_ok=True)
    beside.write_text(json.dumps(samples.run_config(run) | {"padding": "x" * (1 << 20)}))
    _commit_raw(pair, EVIL, _good_doc())


def _case_clash_website(pair: Pair) -> None:
    pair.seed_site(samples.Run("cpu", "GPT2", "short", "20260128", 1, "short_input"))


def _symlink_source(pair: Pair) -> None:
    _commit_raw(pair, EVIL, b"", symlink_to="/etc/passwd")


def _dir_symlink_in_outputs(pair: Pair) -> None:
    outside = pair.bench.root / "elsewhere/short_20260201_001"
    outside.mkdir(parents=True)
    (outside / "short_input_leaderboard.json").write_bytes(_good_doc())
    link = pair.bench.root / "outputs/cpu/gpt2/short_20260201_001"
    link.symlink_to(outside)
    _commit_raw_existing(pair, EVIL)


def _commit_raw_existing(pair: Pair, rel: str) -> None:
    pair.bench.stage()
    pair.bench.commit("dir link")
    _list_honestly(
        pair,
        rel,
        _good_doc(),
        target="data/results/cpu/gpt2/short_20260201_001_short_input_leaderboard.json",
    )


def _website_dir_symlink(pair: Pair) -> None:
    pair.link_in_site("data/results/cpu/gpt2")


def _huge_claim(pair: Pair) -> None:
    def mutate(doc: dict[str, Any]) -> None:
        doc["files"][0]["size"] = 1024 * 1024 * 1024

    pair.tamper(mutate)


def _twice(pair: Pair) -> None:
    pair.tamper(lambda d: d["files"].append(dict(d["files"][0])))


def _format(pair: Pair) -> None:
    pair.tamper(lambda d: d.update(format="benchsync-manifest/v0"))


def _roots(pair: Pair) -> None:
    pair.tamper(lambda d: d.update(source_root="results"))


def _format_is(value: Any) -> Callable[[Pair], None]:
    return lambda pair: pair.tamper(lambda d: d.update(format=value))


def _no_format(pair: Pair) -> None:
    pair.tamper(lambda d: d.pop("format"))


def _manifest_is(doc: Any) -> Callable[[Pair], None]:
    """The committed manifest replaced by ``doc`` (any JSON value)."""

    def setup(pair: Pair) -> None:
        pair.bench.write("outputs/sync-manifest.json", json.dumps(doc, indent=2) + "\n")
        pair.bench.stage()
        pair.bench.commit("another manifest")

    return setup


#: A result whose path is fine on disk (a 247-byte file name) in a workload the
#: configuration does not restrict, but whose website name would be 267 bytes.
LONG = f"outputs/cpu/gpt2/custom_20260201_001/{'a' * 230}_leaderboard.json"


def _long_name(pair: Pair) -> None:
    _commit_raw(pair, LONG, _good_doc())


def _id_twice_in_one_file(pair: Pair) -> None:
    """An array of two results with one entry_id, arrays allowed on both sides."""
    for root in (pair.bench.root, pair.site):
        (root / ".benchsync.toml").write_text('disable = ["layout-single-result"]\n')
    pair.site_git("add", "-A")
    pair.site_git("commit", "-q", "-m", "arrays allowed")
    doc = json.loads(_good_doc())
    _commit_raw(pair, EVIL, samples.dumps([doc, doc]).encode())


# (case, setup, exit code, where the line is, text the line must hold)
CASES: list[tuple[str, Callable[[Pair], None], int, str, str]] = [
    ("source with ../", _claim(source="outputs/../../etc/passwd"), 1, "err", "manifest-schema"),
    (
        "absolute target",
        _claim(target="/etc/cron.d/x_leaderboard.json"),
        1,
        "err",
        "manifest-schema",
    ),
    (
        "target into .github",
        _claim(target="data/results/../../.github/workflows/x.yml"),
        1,
        "err",
        "manifest-schema",
    ),
    (
        "target elsewhere under the root",
        _claim(target="data/results/cpu/gpt2/x_20260128_001_short_input_leaderboard.json"),
        1,
        "out",
        "manifest-target",
    ),
    ("lying hash", _claim(sha256="f" * 64), 1, "out", "manifest-hash"),
    ("lying size", _claim(size=12), 1, "out", "manifest-size"),
    ("1 GB claimed size", _huge_claim, 1, "out", "manifest-size"),
    ("lying format", _format, 1, "err", "manifest-format"),
    ("other roots", _roots, 1, "out", "manifest-roots"),
    ("lying blob", _claim(blob="0" * 40), 1, "out", "manifest-blob"),
    ("lying backend", _claim(backend="cuda"), 1, "out", "manifest-field"),
    (
        "lying entry_id",
        _claim(entry_id="00000000-0000-4000-8000-0000000000ff"),
        1,
        "out",
        "manifest-field",
    ),
    ("one source twice", _twice, 1, "out", "manifest-duplicate"),
    ("symlinked result in the source", _symlink_source, 1, "out", "manifest-source"),
    ("directory symlink in outputs/", _dir_symlink_in_outputs, 1, "out", "manifest-source"),
    ("directory symlink in the website", _website_dir_symlink, 1, "out", "website-symlink"),
    ("60 MB result", _huge, 1, "out", "json-size"),
    ("100,000-deep nesting", _deep, 1, "out", "json-depth"),
    (
        "duplicate keys",
        _with(b'{"entry_id": "a", "entry_id": "b"}'),
        1,
        "out",
        "json-duplicate-key",
    ),
    (
        "NaN",
        _with(_good_doc().replace(b'"error_rate": 0.0', b'"error_rate": NaN')),
        1,
        "out",
        "json-constant",
    ),
    (
        "Infinity",
        _with(_good_doc().replace(b'"error_rate": 0.0', b'"error_rate": Infinity')),
        1,
        "out",
        "json-constant",
    ),
    ("invalid UTF-8", _with(_good_doc().replace(b"Linux", b"L\xffnux")), 1, "out", "json-encoding"),
    ("BOM", _with(b"\xef\xbb\xbf" + _good_doc()), 1, "out", "json-encoding"),
    ("white space only", _with(b" \n"), 1, "out", "json-empty"),
    ("truncated JSON", _with(_good_doc()[:-2]), 1, "out", "json-syntax"),
    ("look-alike model name", _lookalike, 1, "err", "manifest-schema"),
    ("case-colliding targets", _case_clash, 1, "out", "manifest-duplicate"),
    ("case-colliding folders", _case_clash_folder, 1, "out", "target-unique"),
    ("config.json over 1 MiB", _oversized_config, 1, "out", "config-json"),
    ("case-colliding with the website", _case_clash_website, 1, "out", "target-unique"),
    ("format is an array", _format_is([]), 1, "err", "manifest-format"),
    ("format is an object", _format_is({}), 1, "err", "manifest-format"),
    ("format is a number", _format_is(2), 1, "err", "manifest-format"),
    ("format is null", _format_is(None), 1, "err", "manifest-format"),
    ("no format", _no_format, 1, "err", "manifest-format"),
    ("an empty object as manifest", _manifest_is({}), 1, "err", "manifest-format"),
    ("an array as manifest", _manifest_is([]), 1, "err", "manifest-schema"),
    ("a string as manifest", _manifest_is("benchsync-manifest/v2"), 1, "err", "manifest-schema"),
    ("a website name over 255 bytes", _long_name, 1, "out", "layout-name"),
    ("an entry_id twice in one file", _id_twice_in_one_file, 1, "out", "entry-id-unique"),
]


#: The exact line each case gives (commit ids shown as <commit>): it names the file, the
#: place, the rule and the fix.
EXACT: dict[str, str] = {
    "1 GB claimed size": (
        "outputs/sync-manifest.json@<commit>:11:15: manifest-size claims 1073741824 bytes "
        "for outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json, the blob has "
        "1948; regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "100,000-deep nesting": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:1:65: json-depth "
        "nesting is deeper than 64 levels (config max_depth); flatten the document"
    ),
    "60 MB result": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json: json-size file is "
        "60.0 MiB, over the 1.0 MiB limit (config max_file_size); a leaderboard result is a "
        "few KiB: keep raw traces out of it"
    ),
    "BOM": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:1:1: json-encoding "
        "file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM"
    ),
    "Infinity": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:34:19: "
        "json-constant Infinity is not valid JSON; write a number or null"
    ),
    "NaN": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:34:19: "
        "json-constant NaN is not valid JSON; write a number or null"
    ),
    "absolute target": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:9:17: manifest-schema "
        '"/etc/cron.d/x_leaderboard.json" is not a relative path that stays inside the '
        "repository (no leading /, no . or .. part) at /files/0/target; regenerate it with "
        "'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "case-colliding targets": (
        "outputs/sync-manifest.json@<commit>:22:17: manifest-duplicate target "
        "data/results/cpu/gpt2/short_20260128_001_short_input_leaderboard.json is claimed "
        "twice (also /files/0, possibly differing in case); regenerate the manifest with "
        "'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "config.json over 1 MiB": (
        f"{EVIL}: config-json {EVIL.rpartition('/')[0]}/config.json is over 1,048,576 bytes; fix it"
    ),
    "case-colliding folders": (
        "outputs/cpu/GPT2/short_20260201_002/short_input_leaderboard.json: target-unique "
        "data/results/cpu/GPT2/short_20260201_002_short_input_leaderboard.json differs only "
        "in case from another written result's data/results/cpu/gpt2; rename one of them"
    ),
    "case-colliding with the website": (
        "outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json: target-unique "
        "data/results/cpu/gpt2/short_20260128_001_short_input_leaderboard.json differs only "
        "in case from the website's data/results/cpu/GPT2; rename one of them"
    ),
    "directory symlink in outputs/": (
        "outputs/sync-manifest.json@<commit>:34:17: manifest-source lists "
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json, which goes "
        "through the symbolic link outputs/cpu/gpt2/short_20260201_001 in the source at "
        "<commit>; regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark "
        "repo"
    ),
    "directory symlink in the website": (
        "outputs/sync-manifest.json@<commit>:9:17: website-symlink data/results/cpu/gpt2 is "
        "a symbolic link in the website; refusing to write "
        "data/results/cpu/gpt2/short_20260128_001_short_input_leaderboard.json through it; "
        "replace the link with a real directory"
    ),
    "duplicate keys": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:1:19: "
        "json-duplicate-key key 'entry_id' appears more than once in this object; keep one"
    ),
    "invalid UTF-8": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:55:13: "
        "json-encoding byte 0xff is not valid UTF-8; save the file as UTF-8"
    ),
    "look-alike model name": (
        'benchsync apply: outputs/sync-manifest.json@<commit>:43:16: manifest-schema "gрt2" '
        "is not an ASCII name (letters, digits, '.', '_', '-') at /files/2/model; regenerate "
        "it with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "lying backend": (
        "outputs/sync-manifest.json@<commit>:16:18: manifest-field claims backend 'cuda', "
        "the path says 'cpu'; regenerate the manifest with 'benchsync manifest --rebuild' in the "
        "benchmark repo"
    ),
    "lying blob": (
        "outputs/sync-manifest.json@<commit>:12:15: manifest-blob claims blob 000000000000 "
        "for outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json, the source at "
        "<commit> has 5a10da94413a; regenerate the manifest with 'benchsync manifest --rebuild' in "
        "the "
        "benchmark repo"
    ),
    "lying entry_id": (
        "outputs/sync-manifest.json@<commit>:15:19: manifest-field claims entry_id "
        "00000000-0000-4000-8000-0000000000ff for "
        "outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json, the file has "
        "792de2b3-e240-46b2-b4b3-91ece1c9fb08; regenerate the manifest with 'benchsync "
        "manifest --rebuild' in the benchmark repo"
    ),
    "lying format": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:2:13: manifest-format format "
        '"benchsync-manifest/v0" is not one this benchsync reads (benchsync-manifest/v1, '
        "benchsync-manifest/v2); use the same benchsync-hooks version on both sides"
    ),
    "lying hash": (
        "outputs/sync-manifest.json@<commit>:10:17: manifest-hash claims sha256 "
        "ffffffffffff… for outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json, "
        "the blob at <commit> has 28deb411c475…; the manifest is stale or tampered with; "
        "regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "lying size": (
        "outputs/sync-manifest.json@<commit>:11:15: manifest-size claims 12 bytes for "
        "outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json, the blob has "
        "1948; regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "one source twice": (
        "outputs/sync-manifest.json@<commit>:60:17: manifest-duplicate lists "
        "outputs/cpu/gpt2/short_20260128_001/short_input_leaderboard.json twice (also "
        "/files/0); regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark "
        "repo"
    ),
    "other roots": (
        "outputs/sync-manifest.json@<commit>:3:18: manifest-roots manifest roots results/ → "
        "data/results/ differ from this website's outputs/ → data/results/; align "
        "source_root/target_root in the two configurations"
    ),
    "source with ../": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:8:17: manifest-schema "
        '"outputs/../../etc/passwd" is not a relative path that stays inside the repository '
        "(no leading /, no . or .. part) at /files/0/source; regenerate it with 'benchsync "
        "manifest --rebuild' in the benchmark repo"
    ),
    "symlinked result in the source": (
        "outputs/sync-manifest.json@<commit>:34:17: manifest-source lists "
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json, which is a "
        "symbolic link; regenerate the manifest with 'benchsync manifest --rebuild' in the "
        "benchmark "
        "repo"
    ),
    "target elsewhere under the root": (
        "outputs/sync-manifest.json@<commit>:9:17: manifest-target claims target "
        "data/results/cpu/gpt2/x_20260128_001_short_input_leaderboard.json, the convention "
        "gives data/results/cpu/gpt2/short_20260128_001_short_input_leaderboard.json; "
        "regenerate the manifest with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "target into .github": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:9:17: manifest-schema "
        '"data/results/../../.github/workflows/x… is not a relative path that stays inside '
        "the repository (no leading /, no . or .. part) at /files/0/target; regenerate it "
        "with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "truncated JSON": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json:79:1: json-syntax "
        "invalid JSON: Expecting ',' delimiter; fix the syntax there"
    ),
    "format is an array": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:2:13: manifest-format format is "
        "an array, not a string (expected one of benchsync-manifest/v1, benchsync-manifest/v2); "
        "regenerate it with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "format is an object": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:2:13: manifest-format format is "
        "an object, not a string (expected one of benchsync-manifest/v1, "
        "benchsync-manifest/v2); regenerate it with 'benchsync manifest --rebuild' in the "
        "benchmark repo"
    ),
    "format is a number": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:2:13: manifest-format format is "
        "a number, not a string (expected one of benchsync-manifest/v1, benchsync-manifest/v2); "
        "regenerate it with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "format is null": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:2:13: manifest-format format is "
        "null, not a string (expected one of benchsync-manifest/v1, benchsync-manifest/v2); "
        "regenerate it with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "no format": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:1:1: manifest-format format is "
        "missing (expected one of benchsync-manifest/v1, benchsync-manifest/v2); regenerate it "
        "with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "an empty object as manifest": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:1:1: manifest-format format is "
        "missing (expected one of benchsync-manifest/v1, benchsync-manifest/v2); regenerate it "
        "with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "an array as manifest": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:1:1: manifest-schema is an "
        "array, not a manifest (a JSON object with format, roots and files); regenerate it "
        "with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "a string as manifest": (
        "benchsync apply: outputs/sync-manifest.json@<commit>:1:1: manifest-schema is a "
        "string, not a manifest (a JSON object with format, roots and files); regenerate it "
        "with 'benchsync manifest --rebuild' in the benchmark repo"
    ),
    "a website name over 255 bytes": (
        f"{LONG}: layout-name its file name on the website, <run_id>_<name>_leaderboard.json, "
        "would be 267 bytes, over the 255 a file system allows; shorten <name> to at most 218 "
        "characters"
    ),
    "an entry_id twice in one file": (
        f"{EVIL}: entry-id-unique entry_id 00000000-0000-4000-8000-0000000000aa is used by 2 "
        "results in this file; give each result its own entry_id (a new UUID)"
    ),
    "white space only": (
        "outputs/cpu/gpt2/short_20260201_001/short_input_leaderboard.json: json-empty file "
        "is empty; write the result object"
    ),
}


def _exact(line: str) -> str:
    """``line`` with the commit ids of this run's repositories as ``<commit>``."""
    return re.sub(r"(?<=@)[0-9a-f]{7,40}\b|(?<=\bat )[0-9a-f]{7,40}\b", "<commit>", line)


# Cases whose line does not yet say what to do; strict, so a fix of the message shows here.
GAPS: dict[str, str] = {}  # case → why it is known to fail (none now)


@pytest.mark.parametrize(
    ("case", "setup", "code", "stream", "text"),
    [
        pytest.param(*c, id=c[0], marks=[pytest.mark.xfail(strict=True, reason=GAPS[c[0]])])
        if c[0] in GAPS
        else pytest.param(*c, id=c[0])
        for c in CASES
    ],
)
def test_hostile_input_is_rejected_cleanly(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    setup: Callable[[Pair], None],
    code: int,
    stream: str,
    text: str,
) -> None:
    for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(key, raising=False)
    pair = Pair(tmp_path, capsys)
    monkeypatch.chdir(pair.site)
    pair.publish(*RUNS)
    setup(pair)
    capsys.readouterr()
    before = pair.snapshot()
    head = pair.site_git("rev-parse", "HEAD")
    status = pair.site_git("status", "--porcelain")
    got, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert got == code, (case, out, err)
    lines = (out if stream == "out" else err).strip().splitlines()
    assert lines, case
    hit = [line for line in lines if f" {text} " in line or f"{text} " in line]
    assert hit, (case, out, err)
    line = hit[0]
    assert _exact(line) == EXACT[case]
    assert "outputs/" in line or "data/results" in line, line  # names the file
    assert any(
        w in line
        for w in (
            "regenerate",
            "refus",
            "fix",
            "replace",
            "rename",
            "write",
            "max_file_size",
            "save",
            "keep one",
            "flatten",
            "differs",
            "is not",
            "align",
            "shorten",
            "give each",
        )
    ), line
    assert pair.snapshot() == before, case
    assert pair.site_git("rev-parse", "HEAD") == head
    assert pair.site_git("status", "--porcelain") == status
    assert pair.site_git("branch", "--list", BRANCH) == ""
    assert not (tmp_path / "outside").exists() or not any((tmp_path / "outside").iterdir())
    if err:
        assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


# Rules of the trust boundary's families that hostile input to apply cannot reach, and why.
NOT_APPLY = {
    "manifest-left-out": "benchsync manifest reports it while writing the manifest",
    "manifest-ignored": "benchsync manifest/check report it in the benchmark repository",
    "manifest-stale": "benchsync manifest --check/check compare the manifest with the index",
    "website-layout": "benchsync check --website reports it on files already in the website",
}


def test_every_rule_of_the_trust_boundary_has_a_case() -> None:
    """A rule of apply's boundary (strict JSON, manifest claims, the website) with no hostile
    case is one nobody has seen refuse input cleanly; a new rule must bring its case."""
    boundary = {r for r in RULES if r.startswith(("json-", "manifest-", "website-"))}
    boundary.add("target-unique")
    assert set(NOT_APPLY) <= boundary
    covered = {text for _case, _setup, _code, _stream, text in CASES}
    assert sorted(boundary - set(NOT_APPLY) - covered) == []
    assert covered <= set(RULES)
    names = [case for case, *_ in CASES]
    assert len(names) == len(set(names)), "two cases share a name"


def test_write_failure_leaves_the_tree_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A git-ignored file (invisible to git status) where the folder of the last results must
    # go: the files before them are already in place when their rename fails, also for root
    # (no permission bits involved).
    pair = Pair(tmp_path, capsys)
    monkeypatch.chdir(pair.site)
    pair.publish(*RUNS)
    (pair.site / ".gitignore").write_text("/data/results/cuda\n")
    pair.site_git("add", ".gitignore")
    pair.site_git("commit", "-q", "-m", "ignore")
    (pair.site / "data/results").mkdir(parents=True)
    (pair.site / "data/results/cuda").write_text("in the way\n")
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2, out + err
    assert err.startswith("benchsync apply: cannot write into the website"), err
    assert len(err.splitlines()) == 1
    assert pair.snapshot() == before
    assert not (pair.site / "data/results/cpu").exists()  # directories made were removed
    assert (pair.site / "data/results/cuda").read_text() == "in the way\n"
    assert pair.site_git("branch", "--list", BRANCH) == ""
    assert pair.site_git("symbolic-ref", "--short", "HEAD").strip() == "main"
    assert pair.site_git("status", "--porcelain") == ""
    assert not any((pair.site / ".git/benchsync/tmp").iterdir())


def _file_size_limit(limit: int) -> Callable[[], None]:
    def limited() -> None:  # (in the child: writes past ``limit`` fail with EFBIG)
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


def test_a_failed_temp_write_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The temp files are written on several threads: when some of them cannot be written
    (here the file size limit lets the two results of 1,948 bytes through, not the two of
    1,963 and 1,964), the run stops with one line and removes every temp file it made."""
    pair = Pair(tmp_path, capsys)
    pair.publish(*RUNS)
    before = pair.snapshot()
    proc = subprocess.run(
        [sys.executable, "-m", "benchsync_hooks", "apply", "--source", str(pair.bench.root)],
        cwd=pair.site,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_file_size_limit(1960),
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("benchsync apply: cannot write under "), proc.stderr
    assert proc.stderr.endswith(": File too large\n") and proc.stderr.count("\n") == 1
    assert pair.snapshot() == before
    assert not any((pair.site / ".git/benchsync/tmp").iterdir())
    assert pair.site_git("branch", "--list", BRANCH) == ""
    assert pair.site_git("status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("blocker", "message"),
    [
        ("data/results/cuda", "data/results/cuda is a file in the base"),
        (RUNS[0].target + "/kept.txt", f"{RUNS[0].target} is a folder in the base"),
    ],
)
def test_base_tree_in_the_way(
    pair: Pair, capsys: pytest.CaptureFixture[str], blocker: str, message: str
) -> None:
    """A committed file where a folder must go (or a folder where a file must go) is
    refused before anything is written; the base's files are never replaced."""
    pair.publish(*RUNS)
    pair.commit_site("blocker", {blocker: "kept\n"})
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert code == 2, out + err
    assert message in err and "move or remove it" in err
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_submodule_in_the_way_on_the_website(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gitlink (submodule) where a folder of results must go is refused before anything
    is written; nothing is written into or through it."""
    pair.publish(*RUNS)
    head = pair.site_git("rev-parse", "HEAD").strip()
    pair.site_git("update-index", "--add", "--cacheinfo", f"160000,{head},data/results/cpu")
    pair.site_git("commit", "-q", "-m", "submodule")
    (pair.site / "data/results/cpu").mkdir(parents=True)  # as an uninitialised submodule
    assert pair.site_git("status", "--porcelain") == ""
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, out) == (2, ""), err
    assert err.startswith("benchsync apply: data/results/cpu is a ")
    assert " in the base (" in err and "move or remove it" in err
    assert len(err.splitlines()) == 1
    assert pair.snapshot() == before
    assert not any((pair.site / "data/results/cpu").iterdir())
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_an_entry_id_the_manifest_hides_is_found_in_the_websites_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged website file whose manifest entry claims another entry_id, and a new
    result with the file's real one: the website's bytes decide, not the claim."""
    pair = Pair(tmp_path, capsys)
    monkeypatch.chdir(pair.site)
    old, new = RUNS[0], RUNS[1]
    pair.publish(old)
    pair.seed_site(old)  # the same bytes: unchanged
    taken = json.loads(pair.site_file(old).read_text())["entry_id"]
    pair.tamper(lambda d: d["files"][0].update(entry_id="11111111-2222-4333-8444-555555555555"))
    data = samples.dumps(samples.result(new, entry_id=taken)).encode()
    pair.bench.write(new.source, data.decode())
    pair.bench.stage()
    pair.bench.commit("a result with an entry_id in use")
    _list_honestly(pair, new.source, data, target=new.target, entry_id=taken)
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root))
    assert (code, err) == (1, "")
    assert out == (
        f"{new.source}: entry-id-unique entry_id {taken} is already used by {old.target} on "
        "the website; give this result a new entry_id (a new UUID) if it is a new "
        "result, or, if it is that result moved in the benchmark repository, move it back\n"
        "1 file rejected; nothing written (--skip-invalid applies the rest)\n"
    )
    assert pair.snapshot() == before


def test_an_entry_id_spelled_with_json_escapes_on_the_website_is_found(pair: Pair) -> None:
    """A website file may write its entry_id with ``\\u`` escapes (the same string to a JSON
    reader, other bytes to a byte search): a new result with that id is still refused."""
    old, new = RUNS[0], RUNS[1]
    taken = "abcdef01-2345-4678-89ab-cdef01234567"
    pair.seed_site(old, entry_id=taken)
    site_file = pair.site_file(old)
    plain = site_file.read_text()
    escaped = plain.replace(f'"{taken}"', '"\\u0061\\u0062' + taken[2:] + '"')
    assert escaped != plain and json.loads(escaped)["entry_id"] == taken
    site_file.write_text(escaped)
    pair.site_git("commit", "-q", "-am", "an id spelled with escapes")
    pair.publish(new, entry_id=taken)
    _refused_as_taken(pair, new.source, taken, old.target)


def test_an_entry_id_kept_by_a_rejected_update_is_still_taken(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """An update that would free an entry_id (its file on the website holds X, its new
    content Y) is itself refused (Y is taken): the website keeps X in that file, so a new
    result with X is refused too, also with --skip-invalid (no duplicate is committed)."""
    updated, new = RUNS[0], RUNS[1]
    other = samples.Run("cpu", "gpt2", "short", "20260101", 1, "short_input")
    x = "aaaaaaaa-0000-4000-8000-000000000001"
    y = "bbbbbbbb-0000-4000-8000-000000000002"
    pair.seed_site(updated, entry_id=x)
    pair.seed_site(other, entry_id=y)
    pair.bench.add_run(updated, entry_id=y)
    pair.publish(new, entry_id=x)
    before = pair.snapshot()
    code, out, err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--skip-invalid")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:4] == [
        "plan: 0 new, 0 updated, 0 unchanged, 2 rejected; 1 website file kept",
        f"  rejected {updated.source}: entry-id-unique entry_id {y} is already used by "
        f"{other.target} on the website; give this result a new entry_id (a new UUID) "
        "if it is a new result, or, if it is that result moved in the benchmark repository, move "
        "it back",
        f"  rejected {new.source}: entry-id-unique entry_id {x} is already used by "
        f"{updated.target} on the website; give this result a new entry_id (a new UUID) "
        "if it is a new result, or, if it is that result moved in the benchmark repository, move "
        "it back",
    ]
    assert pair.snapshot() == before
    assert pair.site_git("branch", "--list", BRANCH) == ""


def test_an_entry_id_spelled_with_another_json_escape_on_the_website_is_found(
    pair: Pair,
) -> None:
    """With a schema that lets an entry_id hold a ``/`` (and arrays allowed), a website
    file may spell it ``\\/``: any escape hides an id from a byte search, not only ``\\u``."""
    schema = json.loads(
        (Path(samples.__file__).parent / "schemas/leaderboard-v1.json").read_text("utf-8")
    )
    del schema["definitions"]["result"]["properties"]["entry_id"]["pattern"]
    for root in (pair.site, pair.bench.root):
        (root / "schema.json").write_text(json.dumps(schema))
        (root / ".benchsync.toml").write_text(
            'schema = "schema.json"\ndisable = ["layout-single-result"]\n'
        )
    old, new = RUNS[0], RUNS[1]
    held = json.dumps(samples.result(old, entry_id="run/7"), indent=2)
    pair.commit_site("an id spelled with \\/", {old.target: held.replace('"run/7"', '"run\\/7"')})
    pair.bench.write(new.source, [samples.result(new), samples.result(new, entry_id="run/7")])
    pair.publish()
    _refused_as_taken(pair, new.source, "run/7", old.target)


def _refused_as_taken(pair: Pair, source: str, entry_id: str, holder: str) -> None:
    """``apply`` refuses ``source``, whose ``entry_id`` the website's ``holder`` holds, in
    one line, and the website is as it was."""
    before = pair.snapshot()
    code, out, err = run_cli(pair.capsys, "apply", "--source", str(pair.bench.root))
    assert (code, err) == (1, "")
    assert out == (
        f"{source}: entry-id-unique entry_id {entry_id} is already used by {holder} on "
        "the website; give this result a new entry_id (a new UUID) if it is a new "
        "result, or, if it is that result moved in the benchmark repository, move it back\n"
        "1 file rejected; nothing written (--skip-invalid applies the rest)\n"
    )
    assert pair.snapshot() == before


@pytest.mark.parametrize(
    ("setup", "source", "rule"),
    [
        (_long_name, LONG, "layout-name"),
        (_id_twice_in_one_file, EVIL, "entry-id-unique"),
    ],
    ids=["a website name over 255 bytes", "an entry_id twice in one file"],
)
def test_a_file_the_website_cannot_take_is_refused_alone(
    pair: Pair, setup: Callable[[Pair], None], source: str, rule: str
) -> None:
    """Refused as a file, not as the manifest: with --skip-invalid the rest is applied."""
    pair.publish(*RUNS)
    setup(pair)
    code, out, err = run_cli(
        pair.capsys, "apply", "--source", str(pair.bench.root), "--skip-invalid"
    )
    assert (code, err) == (0, ""), out
    assert out.splitlines()[1] == (
        "plan: 4 new, 0 updated, 0 unchanged, 1 rejected; 0 website files kept"
    )
    assert f"  rejected {source}: {rule} " in out
    written = pair.site_git("ls-tree", "-r", "--name-only", BRANCH, "data/results").split()
    assert written == sorted(r.target for r in RUNS)


@pytest.mark.parametrize(
    "chip",
    [
        "A100\x1b[2K\x1b[1A\rFAKE: all good",
        "A100\x0b::notice::x\u2028y",
        "A100\x07\x08\x7f\x85\x9b31m",
        "A100\u202eevil\u2066",
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_control_characters_of_a_result_stay_out_of_the_output_and_summary(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chip: str, as_json: bool
) -> None:
    """The PR body (printed by --dry-run, in --json and in the step summary) shows each
    control character of a result's text as its escape, on the line it belongs to."""
    run = RUNS[0]
    doc = samples.result(run)
    doc["hardware"]["chip_model"] = chip
    pair.bench.add_run(run)
    pair.bench.write(run.source, doc)
    pair.publish()
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    argv = ["apply", "--dry-run", "--source", str(pair.bench.root)]
    code, out, err = run_cli(pair.capsys, *argv, *(["--json"] if as_json else []))
    assert (code, err) == (0, "")
    body = json.loads(out)["pr"]["body"] if as_json else out
    for text in (body, summary.read_text("utf-8")):
        assert all(line.isprintable() for line in text.split("\n")), text
        [row] = [line for line in text.split("\n") if line.startswith("| new")]
        assert "A100" in row and row.count(" | ") == 10


def test_two_new_results_sharing_an_entry_id_are_named_as_new_in_this_sync(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past the hooks (a manifest made by hand): two new results with one entry_id are each
    other's clash, and neither is on the website yet."""
    first, second = RUNS[0], RUNS[1]
    pair.publish(first, second)
    shared = samples.result(first)["entry_id"]
    data = samples.dumps(samples.result(second, entry_id=shared)).encode()
    pair.bench.write(second.source, data)

    def same_id(doc: dict[str, Any]) -> None:
        [entry] = [f for f in doc["files"] if f["source"] == second.source]
        entry.update(
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            blob=blob_id(data),
            target_blob=blob_id(canonical_bytes(data)),
            entry_id=shared,
        )

    pair.tamper(same_id)
    code, out, _err = run_cli(capsys, "apply", "--source", str(pair.bench.root), "--dry-run")
    assert code == 1
    for mine, other in ((first, second), (second, first)):
        assert (
            f"{mine.source}: entry-id-unique entry_id {shared} is already used by "
            f"{other.target}, new in this sync; give each result its own entry_id (a new UUID)\n"
        ) in out
