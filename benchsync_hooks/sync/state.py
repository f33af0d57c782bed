"""``.git/benchsync/``: apply's lock, temp copies and ``pr-body.md``, never followed through
a link.

Anything in this folder can be planted (a CI cache restore, another tool): a symbolic
link in the place of the folder, of ``tmp/`` or of a file would make a write land
wherever it points. So the folders must be real directories (made here when missing,
refused in one line otherwise, before anything is written), and a file is written as a
new file (``O_CREAT | O_EXCL | O_NOFOLLOW``) renamed over the old name: a rename replaces
a link, it never writes through it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ..errors import UsageError
from ..git import GitRepo

FOLDER = "benchsync"
TEMP = "tmp"
LOCK = "apply.lock"
PR_BODY = "pr-body.md"

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE |= getattr(os, "O_BINARY", 0)


def state_path(website: GitRepo, *parts: str) -> Path:
    return website.git_dir.joinpath(FOLDER, *parts)


def real_folder(website: GitRepo, *parts: str) -> Path:
    """``.git/benchsync/PARTS`` as a real directory, each level made when missing; a
    symbolic link, a file or anything else there is refused in one line."""
    folder = website.git_dir
    for part in (FOLDER, *parts):
        folder = folder / part
        try:
            os.mkdir(folder)
        except FileExistsError:
            mode = os.lstat(folder).st_mode
            if not stat.S_ISDIR(mode):  # lstat: a link to a folder is a link
                raise UsageError(_refusal(website, folder, mode=mode, wanted="a folder")) from None
    return folder


def check_state(website: GitRepo) -> None:
    """Before apply writes anything: its folders are real directories, and its lock and
    pull request body are files or absent (a link at ``pr-body.md`` is replaced, never
    followed; a link at ``apply.lock`` is refused: the lock is opened in place)."""
    folder = real_folder(website)
    for name, link_ok in ((LOCK, False), (PR_BODY, True)):
        try:
            mode = os.lstat(folder / name).st_mode
        except FileNotFoundError:
            continue
        if not (stat.S_ISREG(mode) or (link_ok and stat.S_ISLNK(mode))):
            raise UsageError(_refusal(website, folder / name, mode=mode, wanted="a file"))
    real_folder(website, TEMP)


def replace_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``folder/name`` whole: a new file beside it, fsynced, renamed over the name.
    Whatever was at the name (a file, a symbolic link) is replaced, never written through."""
    target = folder / name
    temp = folder / f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temp, _NEW_FILE, 0o666)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def _refusal(website: GitRepo, path: Path, *, mode: int, wanted: str) -> str:
    try:
        name = path.relative_to(website.root).as_posix()
    except ValueError:  # a git directory outside the work tree
        name = str(path)
    if stat.S_ISLNK(mode):
        what = f"a symbolic link to {os.readlink(path)}"
    elif stat.S_ISDIR(mode):
        what = "a folder"
    else:
        what = "a file" if stat.S_ISREG(mode) else "a special file"
    remove = "rm -r" if stat.S_ISDIR(mode) else "rm"
    return (
        f"{name} is {what}; benchsync writes only into {wanted} of its own there: "
        f"remove it ({remove} {name}) and run benchsync apply again"
    )
