"""``benchsync schema``: strict JSON and JSON Schema check of each file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from ..check.content import check_content
from ..context import context_for
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..files import read_limited
from ..report import Problem, emit, files_summary


def run(
    files: list[str],
    *,
    schema: str | None = None,
    fmt: str | None = None,
    out: TextIO | None = None,
) -> int:
    ctx = context_for()
    schema_text = ctx.schema_text_for(schema)
    problems: list[Problem] = []
    for name in files:
        data, read_problems = read_limited(Path(name), name, ctx.config.max_file_size)
        if data is None:
            problems.extend(read_problems)
            continue
        _doc, _facts, found = check_content(data, name, ctx.config, schema_text=schema_text)
        problems.extend(found)
    bad = len({p.path for p in problems})
    summary = None
    if fmt != "json" and problems:
        summary = files_summary(len(files), len(problems), invalid=bad)
    emit(problems, fmt=fmt, out=out or sys.stdout, summary=summary)
    return EXIT_PROBLEMS if problems else EXIT_OK
