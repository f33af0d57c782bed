"""Which entries of a manifest changed since the last one, found by comparing bytes.

The manifest is canonical (``manifest.render``): an opening, entry blocks of the
form ``    {`` … ``    }`` joined by ``,\\n``, a closing, sorted by source. JSON
strings hold no line breaks, so a line break followed by four spaces and ``}``
ends a block and nothing else. The old manifest's block lengths are known (the
snapshot keeps them), so runs of blocks that are byte for byte the same are
skipped at memcmp speed; only the blocks where the texts differ are parsed and
merged by source. A new text that is not canonical where it differs gives None:
the caller then reads the manifest as a whole.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, repeat
from operator import add
from typing import Any, NamedTuple

from ..config import Config
from ..manifest import CLOSING, FIELDS, ManifestFile, block, opening

BLOCK_END = b"\n    }"
CLOSE = CLOSING.encode()
SEPARATOR = b",\n"
_CHUNK = 1 << 16


class Keep(NamedTuple):
    """Old entries ``[start, stop)``, unchanged."""

    start: int
    stop: int


class Add(NamedTuple):
    """A new (or changed) entry and its block's length in bytes."""

    claim: ManifestFile
    length: int


class Edits(NamedTuple):
    """The new manifest's entries in order: runs of old entries and new entries."""

    steps: tuple[Keep | Add, ...]

    @property
    def added(self) -> list[ManifestFile]:
        return [s.claim for s in self.steps if isinstance(s, Add)]

    @property
    def entries(self) -> int:
        return sum(s.stop - s.start if isinstance(s, Keep) else 1 for s in self.steps)


def unchanged(count: int) -> Edits:
    return Edits((Keep(0, count),) if count else ())


def block_starts(config: Config, lengths: Sequence[int]) -> list[int]:
    """Byte offset of each entry block in a canonical manifest with these block lengths
    (each block is followed by a two-byte separator)."""
    body = len(opening(config).encode())
    starts = list(accumulate(map(add, lengths, repeat(2, len(lengths))), initial=body))
    starts.pop()
    return starts


def diff(
    old: bytes,
    new: bytes,
    sources: Sequence[str],
    lengths: Sequence[int],
    config: Config,
) -> Edits | None:
    """How ``new`` differs from ``old``, a canonical manifest whose entries have these
    sources and block lengths; None when ``new`` is not canonical where it differs,
    or when ``old`` is not the text those lengths describe."""
    start_text = opening(config).encode()
    total = len(sources)
    if not total or len(lengths) != total:
        return None
    starts = block_starts(config, lengths)
    if starts[-1] + lengths[-1] + len(CLOSE) != len(old):
        return None
    for text in (old, new):
        if not text.startswith(start_text) or not text.endswith(CLOSE):
            return None
    steps: list[Keep | Add] = []
    last = ""  # the source of the entry before the next one
    r = 0
    j: int | None = len(start_text)  # where the next block of ``new`` starts; None at the end
    while r < total and j is not None:
        same = common_prefix(old, starts[r], new, j)
        stop = bisect_right(starts, starts[r] + same) - 1  # blocks before it matched with ","
        if stop > r:
            steps.append(Keep(r, stop))
            j += starts[stop] - starts[r]
            last, r = sources[stop - 1], stop
            continue
        parsed = _block_at(new, j)
        if parsed is None:
            return None
        claim, length, after = parsed
        if claim.source == sources[r]:
            if new[j : j + length] == old[starts[r] : starts[r] + lengths[r]]:
                steps.append(Keep(r, r + 1))
            else:
                steps.append(Add(claim, length))
            last, r, j = claim.source, r + 1, after
        elif claim.source < sources[r]:
            if claim.source <= last:
                return None
            steps.append(Add(claim, length))
            last, j = claim.source, after
        else:
            r += 1  # the old entry is gone
    while j is not None:
        parsed = _block_at(new, j)
        if parsed is None or parsed[0].source <= last:
            return None
        claim, length, j = parsed
        steps.append(Add(claim, length))
        last = claim.source
    return Edits(tuple(_merged(steps)))


def _merged(steps: list[Keep | Add]) -> list[Keep | Add]:
    out: list[Keep | Add] = []
    for step in steps:
        if isinstance(step, Keep) and out:
            previous = out[-1]
            if isinstance(previous, Keep) and previous.stop == step.start:
                out[-1] = Keep(previous.start, step.stop)
                continue
        out.append(step)
    return out


def _block_at(text: bytes, start: int) -> tuple[ManifestFile, int, int | None] | None:
    """The entry whose block starts at ``start``, the block's length, and where the next
    block starts (None after the last one)."""
    end = text.find(BLOCK_END, start)
    if end < 0:
        return None
    end += len(BLOCK_END)
    parsed = parse_blocks(text[start:end])
    if parsed is None or len(parsed[0]) != 1:
        return None
    if text.startswith(SEPARATOR, end):
        return parsed[0][0], end - start, end + len(SEPARATOR)
    if end + len(CLOSE) == len(text):
        return parsed[0][0], end - start, None
    return None


def parse_blocks(text: bytes) -> tuple[list[ManifestFile], list[int]] | None:
    """The entries of consecutive canonical blocks and each block's length; None unless
    the text is exactly that."""
    if not text:
        return [], []
    try:
        values = json.loads(b"[" + text + b"]", parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    files: list[ManifestFile] = []
    for value in values:
        entry = _entry(value)
        if entry is None:
            return None
        files.append(entry)
    try:
        blocks = [block(f).encode("utf-8") for f in files]
    except UnicodeEncodeError:
        return None
    if SEPARATOR.join(blocks) != text:
        return None
    return files, [len(b) for b in blocks]


def _entry(value: Any) -> ManifestFile | None:
    if type(value) is not dict or tuple(value) != FIELDS:
        return None
    fields = [value[key] for key in FIELDS]
    if type(value["size"]) is not int:
        return None
    if any(type(v) is not str for key, v in zip(FIELDS, fields, strict=True) if key != "size"):
        return None
    return ManifestFile(*fields)


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def common_prefix(a: bytes, i: int, b: bytes, j: int) -> int:
    """How many bytes ``a[i:]`` and ``b[j:]`` have in common at their start."""
    limit = min(len(a) - i, len(b) - j)
    low, chunk = 0, 256
    while low < limit:  # growing chunks: near differences stay cheap, long runs memcmp-fast
        high = min(low + chunk, limit)
        if a[i + low : i + high] != b[j + low : j + high]:
            break
        low, chunk = high, min(chunk * 2, _CHUNK)
    else:
        return limit
    while low < high:  # a[i:i+low] == b[j:j+low]; the first difference is below high
        mid = (low + high) // 2
        if a[i + low : i + mid + 1] == b[j + low : j + mid + 1]:
            low = mid + 1
        else:
            high = mid
    return low
