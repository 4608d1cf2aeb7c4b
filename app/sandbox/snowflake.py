"""Discord snowflakes: `(ms since 2015-01-01 << 22) | worker | process | increment`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


def is_snowflake(value: str) -> bool:
    return value.isascii() and value.isdigit() and 0 < len(value) <= 20


def snowflake_ms(snowflake: str | int) -> int:
    """Unix milliseconds at which a snowflake was made."""
    return (int(snowflake) >> 22) + DISCORD_EPOCH_MS


def snowflake_timestamp(snowflake: str | int) -> str:
    """Discord's ISO-8601 timestamp (`2025-05-01T10:00:00.000000+00:00`) of a snowflake."""
    moment = datetime.fromtimestamp(snowflake_ms(snowflake) / 1000, tz=UTC)
    return moment.isoformat(timespec="microseconds")


def make_snowflake(unix_ms: int, worker: int = 1, process: int = 0, increment: int = 0) -> str:
    return str(
        ((unix_ms - DISCORD_EPOCH_MS) << 22)
        | ((worker & 0x1F) << 17)
        | ((process & 0x1F) << 12)
        | (increment & 0xFFF)
    )


class Snowflakes:
    """Strictly increasing snowflakes from a clock (ids sort by creation, as on Discord)."""

    def __init__(self, clock: Callable[[], float] = time.time, worker: int = 1) -> None:
        self._clock = clock
        self._worker = worker
        self._last_ms = 0
        self._increment = 0

    def next(self) -> str:
        now_ms = int(self._clock() * 1000)
        if now_ms > self._last_ms:
            self._last_ms, self._increment = now_ms, 0
        else:
            self._increment += 1
            if self._increment > 0xFFF:  # 4096 ids in one ms: borrow the next ms
                self._last_ms, self._increment = self._last_ms + 1, 0
        return make_snowflake(self._last_ms, self._worker, 0, self._increment)
