"""What every part of an account runner shares: the account, its session, its in-flight tasks.

The runner builds one `RunnerContext` and hands it to its parts (`submit`, `follow`, `modals`,
`recovery`), so each part names only what it adds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.discord.correlation import Correlator
from app.discord.nonces import NonceGenerator
from app.worker.inflight import InFlightTasks
from app.worker.link import DiscordLink
from app.worker.ownership import OwnedAccount

Spawn = Callable[[Coroutine[Any, Any, None]], None]


class Nonces:
    """Nonces unique across the runners that share this object and, by a random offset, workers.

    The supervisor gives one to all its runners: each minting its own snowflakes would hand two
    accounts the same nonce in the same millisecond, and the sandbox and our logs key
    interactions by nonce.
    """

    def __init__(self) -> None:
        self._generator = NonceGenerator()
        self._offset = random.getrandbits(21)

    def next(self, now: float) -> str:
        return str(int(self._generator.next(now)) + self._offset)


@dataclass(frozen=True)
class RunnerContext:
    account: OwnedAccount
    engine: AsyncEngine
    link: DiscordLink
    tasks: InFlightTasks
    correlator: Correlator
    nonces: Nonces
    spawn: Spawn  # a background task the runner cancels when it stops
    clock: Callable[[], float]  # wall-clock seconds

    def now_ms(self) -> int:
        return int(self.clock() * 1000)
