"""The form a result is written in on the website, and git's id for bytes.

The website receives each result re-serialized the way pre-commit's
``pretty-format-json`` writes JSON by default (two-space indent, sorted keys,
ASCII escapes, LF line ends, one final newline), so the website's own hooks
(``end-of-file-fixer``, ``mixed-line-ending``, ``check-json``,
``pretty-format-json``) and ``.gitattributes`` text conversion leave it alone.
Two files holding the same JSON value have the same canonical bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical(value: Any) -> bytes:
    """The canonical bytes of a parsed JSON value."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def blob_id(data: bytes) -> str:
    """The id git gives ``data`` as a blob (SHA-1 repositories)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
