"""The sync manifest v1: build, render deterministically, load and validate."""

from __future__ import annotations

from collections.abc import Iterable
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from .checks import Verdict
from .config import Config
from .errors import IntegrityError
from .jsondoc import JsonDoc

FORMAT = "benchsync-manifest/v1"
FIELDS = ("source", "target", "sha256", "size", "entry_id", "backend", "model", "run_id")


class ManifestFile(NamedTuple):
    """One claim of the manifest: this source, with these bytes, goes to that target."""

    source: str
    target: str
    sha256: str
    size: int
    entry_id: str
    backend: str
    model: str
    run_id: str

    def to_json(self) -> dict[str, Any]:
        return dict(self._asdict())


class Manifest(NamedTuple):
    source_root: str
    target_root: str
    files: tuple[ManifestFile, ...]


def files_from(verdicts: Iterable[Verdict], config: Config) -> list[ManifestFile]:
    """Manifest entries for the verdicts that passed every check."""
    files = []
    for verdict in verdicts:
        if not verdict.ok:
            continue
        facts, result = verdict.facts, verdict.result
        assert facts is not None and result is not None
        files.append(
            ManifestFile(
                source=verdict.source,
                target=result.target(config.target_root),
                sha256=facts.sha256,
                size=facts.size,
                entry_id=facts.entry_ids[0] if facts.entry_ids else "",
                backend=result.backend,
                model=result.model,
                run_id=result.run_id,
            )
        )
    return files


def block(f: ManifestFile) -> str:
    """One file's entry, indented as inside the manifest's ``files`` array."""
    enc = encode_basestring
    return (
        "    {\n"
        f'      "source": {enc(f.source)},\n'
        f'      "target": {enc(f.target)},\n'
        f'      "sha256": {enc(f.sha256)},\n'
        f'      "size": {int(f.size)},\n'
        f'      "entry_id": {enc(f.entry_id)},\n'
        f'      "backend": {enc(f.backend)},\n'
        f'      "model": {enc(f.model)},\n'
        f'      "run_id": {enc(f.run_id)}\n'
        "    }"
    )


def _head(config: Config) -> str:
    enc = encode_basestring
    return (
        "{\n"
        f'  "format": {enc(FORMAT)},\n'
        f'  "source_root": {enc(config.source_root)},\n'
        f'  "target_root": {enc(config.target_root)},\n'
    )


#: What follows the last entry block of a manifest with entries.
CLOSING = "\n  ]\n}\n"


def opening(config: Config) -> str:
    """The manifest's text up to its first entry block (when it has entries)."""
    return _head(config) + '  "files": [\n'


def assemble(blocks: Iterable[str], config: Config) -> str:
    """The manifest's text from entry blocks already in ``source`` order."""
    body = ",\n".join(blocks)
    if not body:
        return _head(config) + '  "files": []\n}\n'
    return opening(config) + body + CLOSING


def render(files: Iterable[ManifestFile], config: Config) -> str:
    """The manifest's text: sorted by source, two-space indent, trailing newline.

    Byte-for-byte what ``json.dumps(doc, indent=2, ensure_ascii=False)`` gives, but
    built with the C string encoder only (json's indenting encoder is pure Python).
    """
    return assemble((block(f) for f in sorted(files, key=lambda f: f.source)), config)


def parse(data: bytes, display: str, *, max_size: int = 256 * 1024 * 1024) -> Manifest:
    """Load a manifest, validating it against manifest-v1 first."""
    return parse_doc(data, display, max_size=max_size)[0]


def parse_doc(
    data: bytes, display: str, *, max_size: int = 256 * 1024 * 1024
) -> tuple[Manifest, JsonDoc]:
    """Load a manifest and keep its document, for positions in later messages."""
    from . import jsondoc
    from .schema import SchemaChecker, bundled_schema, message_for

    if len(data) > max_size:
        raise IntegrityError(f"{display}: manifest is {len(data)} bytes, over {max_size}")
    doc, problems = jsondoc.parse(data, display, max_depth=None)
    if doc is None:
        first = problems[0]
        raise IntegrityError(f"{first.text()}; regenerate it with 'benchsync manifest'")
    checker = _manifest_checker(SchemaChecker, bundled_schema)
    if not checker.is_valid(doc.value):
        error = checker.explain(doc.value)[0]
        from .jsondoc import pointer_of

        pointer = pointer_of(error.absolute_path)
        line, col = doc.position(pointer)
        raise IntegrityError(
            f"{display}:{line}:{col}: manifest-schema {message_for(error)} at "
            f"{pointer or '/'}; regenerate it with 'benchsync manifest'"
        )
    value = doc.value
    files = tuple(ManifestFile(*map(item.__getitem__, FIELDS)) for item in value["files"])
    return Manifest(value["source_root"], value["target_root"], files), doc


_CHECKER: list[Any] = []


def _manifest_checker(cls: Any, loader: Any) -> Any:
    if not _CHECKER:
        _CHECKER.append(cls(loader("manifest-v1.json")))
    return _CHECKER[0]


def entries_valid(files: Iterable[ManifestFile], config: Config) -> bool:
    """Whether a manifest of this configuration with just ``files`` passes manifest-v1
    (every rule of the schema is about one entry, except the count of entries)."""
    from .schema import SchemaChecker, bundled_schema

    checker = _manifest_checker(SchemaChecker, bundled_schema)
    value = {
        "format": FORMAT,
        "source_root": config.source_root,
        "target_root": config.target_root,
        "files": [f.to_json() for f in files],
    }
    return bool(checker.is_valid(value))
