"""benchsync-hooks: carry benchmark leaderboard results safely to a website repository."""

from __future__ import annotations

__version__ = "0.5.2"

__all__ = ["__version__"]
