"""Stopping a worker stops its runners together, not one after another."""

from __future__ import annotations

import asyncio
from typing import Any

from app.worker.ownership import Ownership


class NoDatabase:
    def begin(self) -> Any:
        raise ConnectionError("no database here")  # the release at the end is best effort


async def test_every_runners_stop_starts_before_any_has_finished() -> None:
    ownership = Ownership(NoDatabase(), "worker-a", 3.0, start_runner=None)  # type: ignore[arg-type]
    stopping = [asyncio.Event() for _ in range(3)]
    all_stopping = asyncio.Event()
    waited_in_vain: list[int] = []

    async def runner(n: int) -> None:
        try:
            await asyncio.Event().wait()
        finally:  # a slow stop (a gateway's closing handshake): it waits for the others' to start
            stopping[n].set()
            if all(e.is_set() for e in stopping):
                all_stopping.set()
            try:
                await asyncio.wait_for(all_stopping.wait(), 2)
            except TimeoutError:
                waited_in_vain.append(n)

    ownership._runners = {f"a{n}": asyncio.create_task(runner(n)) for n in range(3)}
    await asyncio.sleep(0)
    await asyncio.wait_for(ownership._stop_all(), 10)
    assert waited_in_vain == []  # one after another, each stop but the last waits in vain
