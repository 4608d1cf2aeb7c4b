"""Small helpers shared by the Discord client tests."""

from __future__ import annotations

import time

from app.discord.correlation import NonceGenerator

_NONCES = NonceGenerator()


def new_nonce() -> str:
    """A fresh snowflake nonce, as the worker mints one per interaction."""
    return _NONCES.next(time.time())
