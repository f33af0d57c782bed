"""The old website job, for comparison: copy every result, git add, commit.

Usage: python naive_sync.py BENCHMARK_REPO   (run inside the website repository)
It mirrors the shell `find | cut -d/ -f3..5 | cp` loop, without its path bugs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    source = Path(sys.argv[1])
    count = 0
    for path in sorted((source / "outputs").rglob("*_leaderboard.json")):
        backend, model, run_id = path.relative_to(source / "outputs").parts[:3]
        dest = Path("data/results") / backend / model / f"{run_id}_{path.name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        count += 1
    subprocess.run(["git", "add", "data/results"], check=True)
    subprocess.run(
        ["git", "commit", "-q", "-m", f"sync {count} files"], check=False, capture_output=True
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
