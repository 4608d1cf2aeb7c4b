"""The exceptions mjrelay raises on purpose.

    MjRelayError
     ├── SettingsError        a setting is missing or invalid (raised at start, names the setting)
     └── DatabaseUnavailable  the database cannot be reached or the embedded server cannot start

Foreign exceptions are translated where they enter: `db/` maps SQLAlchemy/asyncpg errors,
`app/discord/` maps transport errors, and the API renders its own errors per dialect.
"""

from __future__ import annotations


class MjRelayError(Exception):
    """Root of every error mjrelay raises deliberately; `str()` is a one-line user message."""


class SettingsError(MjRelayError):
    """A setting is invalid; the message names the setting."""


class DatabaseUnavailable(MjRelayError):
    """The database cannot be reached, or the embedded PostgreSQL cannot be started."""
