"""Settings: one frozen object per process, parsed once from the environment and an optional file.

    values.py    pure parsers: text (or a TOML list's items) in, a typed value out
    settings.py  the frozen `Settings` every process reads; typed values only
    loading.py   where each setting comes from; `load_settings` builds `Settings` once at start

Importing this package pulls in no web, database or Discord transport code.
"""

from __future__ import annotations

from app.config.loading import load_settings
from app.config.settings import Settings

__all__ = ["Settings", "load_settings"]
