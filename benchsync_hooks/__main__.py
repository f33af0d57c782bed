"""``python -m benchsync_hooks``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
