"""The exceptions mjrelay raises on purpose.

    MjRelayError
     ├── SettingsError        a setting is missing or invalid (raised at start, names the setting)
     ├── DatabaseUnavailable  the database cannot be reached or the embedded server cannot start
     ├── InvalidTransition    app/taskstore.py: a status move the transition table forbids (a bug)
     └── DiscordError         app/discord/errors.py: the Discord layer's own tree

Foreign exceptions are translated where they enter: `db/database.py` and `db/embedded.py` turn a
database that cannot be reached into `DatabaseUnavailable`, and `app/discord/` maps HTTP and
transport errors into `DiscordError`.

Outside the tree, on purpose: a refused request is `CommandError` (`app/domain/errors.py`; the
domain imports nothing of the app), which the API answers in each dialect's own error envelope;
a bad input is a local `ValueError` subclass (e.g. `ImageError` in `app/domain/images.py`,
`FormError` in `app/dashboard/actions.py`), answered where it is caught; and a few exceptions
signal one expected case to the caller that handles it (`TaskIdTaken` in `db/task_inserts.py`,
`DeliveryBusy` in `db/redelivery.py`, `AccountUnusable` in `app/worker/runner.py`,
`BlockedDestination` in `app/callbacks/transport.py`).
"""

from __future__ import annotations


class MjRelayError(Exception):
    """Root of every error mjrelay raises deliberately; `str()` is a one-line user message."""


class SettingsError(MjRelayError):
    """A setting is invalid; the message names the setting."""


class DatabaseUnavailable(MjRelayError):
    """The database cannot be reached, or the embedded PostgreSQL cannot be started."""
