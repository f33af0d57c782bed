"""Where a command runs: the repository root, its configuration and its schema."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .config import Config
from .config_files import find_root, load_config
from .errors import ConfigError


class Context(NamedTuple):
    """The checked repository's root (or the cwd outside git) and its configuration."""

    root: Path
    config: Config
    in_git: bool

    def rel(self, path: str) -> str | None:
        """``path`` relative to the root in POSIX form, or None when outside it."""
        absolute = os.path.abspath(path)
        root = str(self.root)
        if absolute == root:
            return "."
        prefix = root if root.endswith(os.sep) else root + os.sep
        if not absolute.startswith(prefix):
            return _rel_through_link(absolute, root)
        relative = absolute[len(prefix) :]
        return relative.replace(os.sep, "/") if os.sep != "/" else relative

    def schema_text_for(self, override: str | None) -> str:
        """The text of the schema in force ("" = the bundled one), read afresh every run."""
        if override:
            return read_schema(Path(override), override)
        if self.config.schema:
            return read_schema(self.root / self.config.schema, self.config.schema)
        return ""

    @property
    def schema_text(self) -> str:
        return self.schema_text_for(None)


def _rel_through_link(absolute: str, root: str) -> str | None:
    """``absolute`` relative to ``root`` when one of its folders is the root reached by
    another name (a link above it: macOS's /tmp is /private/tmp; a shell's $PWD; another
    case on a file system that ignores it); None when none is. The shortest such folder
    is taken, so every component below the root is still looked at for links."""
    parts = absolute.split(os.sep)
    for depth in range(1, len(parts) + 1):
        folder = os.sep.join(parts[:depth]) if depth > 1 else parts[0] + os.sep  # / or C:\
        if _is_root(folder, root):
            return "/".join(parts[depth:]) or "."
    return None


def _is_root(folder: str, root: str) -> bool:
    """Whether ``folder`` is the folder ``root`` (asked only of a path the plain prefix
    test put outside: a few stat calls, never for the usual relative names)."""
    try:
        here, found = os.stat(root), os.stat(folder)
    except OSError:
        return False
    # (a file system without inode numbers cannot tell: never the root)
    return bool(here.st_ino) and (found.st_dev, found.st_ino) == (here.st_dev, here.st_ino)


def read_schema(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read schema: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: the schema is not UTF-8 text") from None


def context_for(start: Path | None = None) -> Context:
    here = Path(start or Path.cwd())
    root = find_root(here)
    if root is None:
        return Context(here.resolve(), load_config(here.resolve()), in_git=False)
    return Context(root, load_config(root), in_git=True)
