"""Nonces for interactions: Discord-style snowflakes minted from the wall clock (pure).

The worker records a task's nonce before it sends the interaction, so the nonce the bot echoes
ties every event back to the task (`correlation.py`), also after a crash.
"""

from __future__ import annotations

from app.discord.constants import DISCORD_EPOCH_MS

_SEQUENCE_BITS = 22
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1


def snowflake(now: float, sequence: int = 0) -> str:
    """A Discord-style snowflake for wall-clock `now` (seconds since the Unix epoch)."""
    ms = max(int(now * 1000) - DISCORD_EPOCH_MS, 0)
    return str((ms << _SEQUENCE_BITS) | (sequence & _SEQUENCE_MASK))


def snowflake_time(value: str) -> float:
    """Inverse of `snowflake`: the Unix time (seconds) a snowflake was minted."""
    return ((int(value) >> _SEQUENCE_BITS) + DISCORD_EPOCH_MS) / 1000


class NonceGenerator:
    """Strictly increasing snowflake nonces (≤ 19 digits, well under Discord's 25-char limit)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now: float) -> str:
        value = max(int(snowflake(now)), self._last + 1)
        self._last = value
        return str(value)
