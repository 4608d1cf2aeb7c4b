"""Live task updates: Postgres `LISTEN mjrelay_task_events` fanned out as Server-Sent Events.

    GET /events[?task_id=…]     text/event-stream; one `task` event per task change

The process's LISTEN hub (`db.listen`) hears the channel for every subscriber; this module holds
one subscription to it from the first subscriber to the last. Each notification
("<task_id>:<seq>", sent by `app.taskstore` in the transaction of the change) is resolved to the
task's current state with one query for a whole burst, and pushed to the subscribers that want
that task. A subscriber keeps only the newest state per task, so a slow client skips intermediate
progress but never a task's final state. After a lost LISTEN connection, subscribers get a
`resync` event (the changes in between were not seen). Format: docs/events.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.dashboard.views import absolute, task_state
from app.domain.task import Task
from db import tasks as q
from db.listen import Subscription, listen_hub

log = logging.getLogger(__name__)

LOOKUP_RETRY_S = 1.0
STOP_CHECK_S = 0.5
KEEPALIVE_S = 15.0
MAX_PENDING_TASKS = 10_000
RESYNC = "resync"


class Subscriber:
    """One client's mailbox: the newest state per task, oldest change first. With `key_id`, a
    client key's stream: only that key's tasks."""

    def __init__(self, task_id: str | None, key_id: int | None = None) -> None:
        self.task_id = task_id
        self.key_id = key_id
        self._pending: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._seen_seq: dict[str, int] = {}
        self._ready = asyncio.Event()

    def wants(self, task_id: str) -> bool:
        return self.task_id is None or self.task_id == task_id

    def may_see(self, task: Task) -> bool:
        return self.key_id is None or task.key_id == self.key_id

    def push(self, key: str, state: dict[str, Any]) -> None:
        seq = state.get("seq")
        if isinstance(seq, int):
            if self._seen_seq.get(key, -1) >= seq:
                return  # an older state than one already queued or sent
            if len(self._seen_seq) > MAX_PENDING_TASKS:
                self._seen_seq.clear()
            self._seen_seq[key] = seq
        self._pending.pop(key, None)
        self._pending[key] = state
        while len(self._pending) > MAX_PENDING_TASKS:
            self._pending.popitem(last=False)
        self._ready.set()

    async def next(self, wait_s: float) -> dict[str, Any] | None:
        """The next state, or None after `wait_s` seconds without one."""
        if not self._pending:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), wait_s)
            except TimeoutError:
                return None
        _key, state = self._pending.popitem(last=False)
        return state


class TaskEvents:
    """The stream's subscribers, and their one subscription to the process's LISTEN hub."""

    def __init__(self, database_url: str, engine: AsyncEngine) -> None:
        self._database_url = database_url
        self.engine = engine
        self._subscribers: set[Subscriber] = set()
        self._notified: asyncio.Queue[str] = asyncio.Queue()
        self._subscription: Subscription | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._sent_seq: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def subscribe(
        self, task_id: str | None = None, key_id: int | None = None
    ) -> AsyncIterator[Subscriber]:
        """Receive changes (of one task, or of all) until the block ends.

        Returns once the listener is connected (or has tried to), so a change committed after
        this point is seen.
        """
        subscriber = Subscriber(task_id, key_id)
        self._subscribers.add(subscriber)
        try:
            if self._subscription is None:
                self._pump_task = asyncio.create_task(self._pump(), name="mjrelay-task-events")
                hub = listen_hub(self._database_url)
                self._subscription = hub.subscribe(
                    q.TASK_EVENTS_CHANNEL, self._notified.put_nowait, self._on_listening
                )
            await self._subscription.ready()
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            if not self._subscribers and self._subscription is not None:
                self._subscription.close()
                self._subscription = None
                if self._pump_task is not None:
                    # Not awaited: this may run while the client's request is being cancelled.
                    self._pump_task.cancel()
                    self._pump_task = None

    async def current(self, subscriber: Subscriber, task_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = await q.get_task(conn, task_id)
        task = Task.from_row(row) if row is not None else None
        return task_state(task) if task is not None and subscriber.may_see(task) else None

    # ------------------------------------------------------------------------------ listener

    def _on_listening(self, resumed: bool) -> None:
        if resumed:  # changes made while LISTEN was down were not seen
            self._broadcast_resync()

    def _broadcast_resync(self) -> None:
        for subscriber in self._subscribers:
            subscriber.push(RESYNC, {"type": RESYNC})

    async def _pump(self) -> None:
        while True:
            payloads = [await self._notified.get()]
            while not self._notified.empty():
                payloads.append(self._notified.get_nowait())
            try:
                await self._deliver(payloads)
            except Exception:  # a failed lookup must not end the stream for everyone
                log.exception("could not load changed tasks for the event stream")
                await asyncio.sleep(LOOKUP_RETRY_S)

    async def _deliver(self, payloads: list[str]) -> None:
        ids = list(dict.fromkeys(p.rsplit(":", 1)[0] for p in payloads))
        wanted = [i for i in ids if any(s.wants(i) for s in self._subscribers)]
        if not wanted:
            return
        async with self.engine.connect() as conn:
            rows = await q.get_tasks(conn, wanted)
        for row in rows:
            task = Task.from_row(row)
            if self._sent_seq.get(task.id, -1) >= task.event_seq:
                continue  # a burst of changes already sent as this one state
            if len(self._sent_seq) > MAX_PENDING_TASKS:
                self._sent_seq.clear()
            self._sent_seq[task.id] = task.event_seq
            state = task_state(task)
            for subscriber in self._subscribers:
                if subscriber.wants(task.id) and subscriber.may_see(task):
                    subscriber.push(task.id, state)


def sse_message(state: dict[str, Any], base: str) -> bytes:
    """One SSE message: `event: task` (id "<task_id>:<seq>") or `event: resync`."""
    if state.get("type") == RESYNC:
        return b"event: resync\ndata: {}\n\n"
    body = json.dumps(absolute(state, base), ensure_ascii=False, separators=(",", ":"))
    return f"id: {state['id']}:{state['seq']}\nevent: task\ndata: {body}\n\n".encode()


async def stream(
    events: TaskEvents,
    task_id: str | None,
    base: str,
    keepalive_s: float = KEEPALIVE_S,
    stopping: asyncio.Event | None = None,
    key_id: int | None = None,
) -> AsyncGenerator[bytes, None]:
    """The body of `GET /events`: a retry hint, the task's current state (with `task_id`),
    then every change, with a comment line as keep-alive. Ends when the server is stopping,
    so a shutdown never waits for open dashboards. With `key_id`: that client key's tasks only."""
    async with events.subscribe(task_id, key_id) as subscriber:
        yield b"retry: 2000\n: mjrelay task events\n\n"
        if task_id is not None:
            state = await events.current(subscriber, task_id)
            if state is not None:
                subscriber.push(task_id, state)
        idle = 0.0
        while stopping is None or not stopping.is_set():
            state = await subscriber.next(min(STOP_CHECK_S, keepalive_s))
            if state is not None:
                idle = 0.0
                yield sse_message(state, base)
                continue
            idle += min(STOP_CHECK_S, keepalive_s)
            if idle >= keepalive_s:
                idle = 0.0
                yield b": keep-alive\n\n"
