"""Per-account job slots: a concurrency cap, a bounded queue ("Job queued"), then "Queue full"."""

from __future__ import annotations

import asyncio
from collections import deque


class QueueFull(Exception):
    pass


class Slots:
    def __init__(self, concurrency: int, queue_size: int) -> None:
        self.concurrency = concurrency
        self.queue_size = queue_size
        self.active = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def acquire(self) -> asyncio.Future[None] | None:
        """Take a slot now (None), or get a future that resolves when one is handed over.

        Raises QueueFull when both the slots and the queue are used up.
        """
        if self.active < self.concurrency:
            self.active += 1
            return None
        if len(self._waiting) >= self.queue_size:
            raise QueueFull
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        return future

    def release(self) -> None:
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():  # hand the slot straight to the next queued job
                future.set_result(None)
                return
        self.active = max(0, self.active - 1)

    def forget(self, future: asyncio.Future[None]) -> None:
        """A queued job was cancelled before it started."""
        if future in self._waiting:
            self._waiting.remove(future)
        elif future.done() and not future.cancelled():
            self.release()
