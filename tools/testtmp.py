"""Print the folder `make unit` puts the tests' files in.

A run makes about 75,000 small files (git repositories, virtual environments). On a disk
they make the run's time depend on the disk's mood (116-146 s of pytest on this project's
2-CPU machine, against 90-104 s in memory). So: ``$TMPDIR`` when it is set (the user's
choice), else ``/dev/shm`` when it is a memory file system with room for them (2 GiB free)
that can run programs (the tests start scripts from there), else the system's temp folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

RAM = "/dev/shm"
ROOM = 2 << 30  # bytes free that the tests' files need, with a margin


def runs_programs(folder: str) -> bool:
    """Whether a script written to ``folder`` can be run (no ``noexec`` mount)."""
    try:
        fd, script = tempfile.mkstemp(prefix="benchsync-exec-", suffix=".sh", dir=folder)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("#!/bin/sh\nexit 0\n")
        os.chmod(script, 0o700)
        return subprocess.run([script], check=False).returncode == 0
    except OSError:
        return False
    finally:
        os.unlink(script)


def folder_for_tests() -> str:
    chosen = os.environ.get("TMPDIR")
    if chosen:
        return chosen
    try:
        found = os.statvfs(RAM)
    except OSError:
        return tempfile.gettempdir()
    if found.f_bavail * found.f_frsize >= ROOM and runs_programs(RAM):
        return RAM
    return tempfile.gettempdir()


if __name__ == "__main__":
    sys.stdout.write(folder_for_tests() + "\n")
