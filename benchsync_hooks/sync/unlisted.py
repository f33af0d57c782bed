"""Result files of the source that its manifest does not name, and why: never synced, said.

Which files are results follows the benchmark repository's own configuration (its
``include`` and ``exclude``, read from the source commit). They are counted first (every
manifest entry's source was checked to be one of them) and named only when some lack; the
first :data:`EXPLAINED` are checked here, as the benchmark side checks a file, to say
which rules they break.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..bench.scan import IndexView, check_entries
from ..check.selection import selected_of
from ..config import Config
from ..git.listing import Listing
from .source import Source
from .values import Unlisted
from .verify import Claim

#: The most unlisted files checked to say why (the PR body lists no more than 50), and the
#: most bytes read for it: the benchmark repository may hold any file it likes there.
EXPLAINED = 50
BUDGET = 1024 * 1024
#: The source line of an entry in the rendered form (every entry proven by the sweep).
_SOURCE_LINE = re.compile(r'^      "source": "([^"\n]*)",$', re.MULTILINE)


def rendered_sources(text: str) -> set[str]:
    return set(_SOURCE_LINE.findall(text))


def claimed_sources(claims: list[Claim]) -> set[str]:
    return {claim.file.source for claim in claims}


def unlisted_of(
    source: Source,
    listing: Listing,
    *,
    listed: int,
    named: Callable[[], set[str]],
    config: Config,
    selection: Config,
    schema_text: str,
) -> tuple[Unlisted, ...]:
    """The source's result files (as ``selection``, the benchmark's own configuration,
    selects them) that none of the ``listed`` entries names (``named`` gives their
    sources), each with the rules it breaks under this website's checks (``config``)."""
    results = selected_of(listing.keys(), selection)
    custom = (selection.include, selection.exclude) != (config.include, config.exclude)
    if len(results) <= listed and not custom:  # (else an entry may be one it leaves out)
        return ()
    names = named()
    paths = sorted(p for p in results if p not in names)
    fails: dict[str, tuple[str, ...]] = {}
    entries, budget = [], BUDGET
    for path in paths[:EXPLAINED]:  # checked within a budget of bytes, rules only
        entry = listing[path]
        if entry.size > config.max_file_size:
            fails[path] = ("json-size",)  # (known from the listing: never read)
        elif entry.size <= budget:
            entries.append(entry)
            budget -= max(entry.size, 0)
    view = IndexView(tuple(entries), listing, None)
    for verdict in check_entries(
        source.repo, entries, view, config=config, schema_text=schema_text, positions=False
    ):
        fails[verdict.source] = tuple(sorted({p.rule for p in verdict.problems}))
    return tuple(Unlisted(path, fails.get(path)) for path in paths)
