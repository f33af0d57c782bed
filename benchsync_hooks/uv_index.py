"""Where uv's wheel may be: a folder of wheels, or a simple package index (PEP 691 JSON or
PEP 503 HTML), read with the standard library within a deadline and a size limit
(:mod:`.uv_wheel` chooses the file and checks its hash)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

PROJECT = "uv"
WEB = ("http://", "https://")
#: Seconds to wait on one answer of the index, and on the whole fetch, before pip is left
#: to try (with its own retries).
TIMEOUT = 20
BUDGET = 60
#: The most bytes taken from the index for one page or one wheel (uv's wheel: ~18 MB).
MAX_BYTES = 100 * 1024 * 1024


class Offered(NamedTuple):
    """A file a folder or an index offers: its name, where it is, the sha256 it claims."""

    filename: str
    url: str
    sha256: str | None


class _Links(HTMLParser):
    """The anchors of a PEP 503 simple page: (text, href)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or None
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append(("".join(self._text).strip(), self._href))
            self._href = None


def read(
    url: str, *, accept: str = "*/*", cafile: str | None = None, deadline: float
) -> tuple[bytes, str]:
    """The body of ``url`` and its content type (an error for anything but 200, for more
    than :data:`MAX_BYTES`, and when ``deadline`` passes, however slowly bytes drip in)."""
    import ssl

    context = ssl.create_default_context(cafile=cafile) if url.startswith("https:") else None
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "benchsync"})
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"no answer within {BUDGET} s")
    with urllib.request.urlopen(request, timeout=min(TIMEOUT, left), context=context) as answer:
        chunks, size = [], 0
        while chunk := answer.read1(1 << 20):  # (what has come: the deadline is checked)
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:
                raise OSError(f"an answer over {MAX_BYTES} bytes")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no whole answer within {BUDGET} s")
        return b"".join(chunks), answer.headers.get_content_type()


def index_files(index: str, *, cafile: str | None = None, deadline: float) -> list[Offered]:
    """The files the simple index at ``index`` offers for uv (PEP 691 JSON or PEP 503 HTML),
    at ``http:`` or ``https:`` addresses only (an index pointing at a local file, a pipe
    or a device, is not followed)."""
    return [
        o for o in _index_files(index, cafile=cafile, deadline=deadline) if o.url.startswith(WEB)
    ]


def _index_files(index: str, *, cafile: str | None, deadline: float) -> list[Offered]:
    page = index.rstrip("/") + f"/{PROJECT}/"
    body, kind = read(
        page,
        accept="application/vnd.pypi.simple.v1+json, text/html;q=0.1",
        cafile=cafile,
        deadline=deadline,
    )
    if kind == "application/vnd.pypi.simple.v1+json":
        files = json.loads(body)["files"]
        return [
            Offered(
                str(f["filename"]),
                urllib.parse.urljoin(page, str(f["url"])),
                (f.get("hashes") or {}).get("sha256"),
            )
            for f in files
        ]
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    offered = []
    for text, href in parser.links:
        url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
        claimed = fragment[len("sha256=") :] if fragment.startswith("sha256=") else None
        offered.append(Offered(text or url.rsplit("/", 1)[-1], url, claimed))
    return offered


def folder_files(folder: Path) -> list[Offered]:
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
    except OSError:
        return []
    return [Offered(name, (folder / name).as_uri(), None) for name in names]
