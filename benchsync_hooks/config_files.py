"""Where the configuration comes from: ``.benchsync.toml`` or ``pyproject.toml``
``[tool.benchsync]`` at a repository's root, on disk or as a commit holds them (the keys
and their checks are :mod:`.config`'s)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .config import CONFIG_FILE, PYPROJECT, Config, parse_config
from .errors import ConfigError


def _toml_loads(text: str) -> dict[str, Any]:
    """The TOML document; a ValueError for one that is not TOML or nested too deep for the
    parser (it recurses once per level)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        loaded: dict[str, Any] = tomllib.loads(text)
    except RecursionError:
        raise ValueError("nested too deep") from None
    return loaded


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that holds a ``.git`` entry."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def load_config(root: Path) -> Config:
    """Read the configuration of the repository at ``root``."""
    dedicated, pyproject = root / CONFIG_FILE, root / PYPROJECT
    return config_from(
        _read_toml(dedicated) if dedicated.is_file() else None,
        _read_toml(pyproject) if pyproject.is_file() else None,
    )


def config_from_texts(dedicated: str | None, pyproject: str | None) -> Config:
    """The configuration from the texts of ``.benchsync.toml`` and ``pyproject.toml`` (as
    a commit holds them; None: no such file)."""
    try:
        return config_from(
            None if dedicated is None else _toml_loads(dedicated),
            None if pyproject is None else _toml_loads(pyproject),
        )
    except ValueError as exc:
        raise ConfigError(f"cannot read configuration: {exc}") from None


def config_from(dedicated: dict[str, Any] | None, pyproject: dict[str, Any] | None) -> Config:
    """The configuration from the parsed ``.benchsync.toml`` and ``pyproject.toml``."""
    table: Any = None
    origin = ""
    if dedicated is not None:
        table, origin = dedicated, CONFIG_FILE
    tool = (pyproject or {}).get("tool", {})
    if isinstance(tool, dict) and "benchsync" in tool:
        if table is not None:
            raise ConfigError(
                f"both {CONFIG_FILE} and {PYPROJECT} [tool.benchsync] configure benchsync; "
                "keep one of them"
            )
        table, origin = tool["benchsync"], f"{PYPROJECT} [tool.benchsync]"
    if table is None:
        return Config()
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: benchsync configuration must be a table")
    return parse_config(table, origin=origin)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return _toml_loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path.name}: cannot read configuration: {exc}") from None
