"""`db.listen`: one LISTEN connection per process, fanned out, back after any failure."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.callbacks.dispatcher import Dispatcher, DispatcherConfig
from app.dashboard.events import TaskEvents
from app.domain.task import Task
from app.worker.wakeup import Listener
from db import listen
from db.deliveries import CHANNEL as DELIVERIES_CHANNEL
from db.listen import ListenHub, listen_hub
from db.tasks import TASK_EVENTS_CHANNEL, TASKS_CHANNEL
from db.urls import asyncpg_dsn


async def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _notify(engine: AsyncEngine, channel: str, payload: str = "") -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})


async def _backends(engine: AsyncEngine, count: str, where: str, **params: str) -> int:
    """`count` over this database's backends that match `where` (e.g. terminating them)."""
    async with engine.begin() as conn:
        found = await conn.scalar(
            text(
                f"SELECT count({count}) FROM pg_stat_activity"
                f" WHERE datname = current_database() AND {where}"
            ),
            params,
        )
    return int(found or 0)


async def _listen_backends(engine: AsyncEngine) -> int:
    return await _backends(engine, "*", "query LIKE 'LISTEN%'")


async def _terminate_hub_connection(engine: AsyncEngine) -> int:
    where = "application_name = :name"
    return await _backends(engine, "pg_terminate_backend(pid)", where, name=listen.APPLICATION_NAME)


async def test_worker_dispatcher_and_dashboard_share_one_listen_connection(
    database_url: str, engine: AsyncEngine
) -> None:
    heard: list[str] = []
    stop = asyncio.Event()
    worker = Listener(database_url, [TASKS_CHANNEL], heard.append)
    dispatcher = Dispatcher(engine, DispatcherConfig(), listen_dsn=asyncpg_dsn(database_url))
    events = TaskEvents(database_url, engine)
    running = [asyncio.create_task(worker.run(stop)), asyncio.create_task(dispatcher.run(stop))]
    try:
        async with events.subscribe() as dashboard:
            await _until(lambda: bool(heard))  # the worker's wake-up on LISTEN starting
            await taskstore.create_task(
                engine, Task(id="3100000000000001", dialect="novicezk", action="IMAGINE")
            )
            state = await dashboard.next(20.0)
            await _until(lambda: len(heard) >= 2)  # and the NOTIFY of the new PENDING task
            await asyncio.sleep(1.0)  # room for a second LISTEN connection to show up, if any
            assert await _listen_backends(engine) == 1
    finally:
        stop.set()
        await asyncio.gather(*running)
    assert state is not None and state["id"] == "3100000000000001"
    assert heard[:2] == [TASKS_CHANNEL, TASKS_CHANNEL]


async def test_each_notification_reaches_the_subscribers_of_its_channel(
    database_url: str, engine: AsyncEngine
) -> None:
    hub = listen_hub(database_url)
    assert listen_hub(database_url) is hub, "one hub per process and database"
    got: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(hub.subscribed(TASKS_CHANNEL, got["a"].append))
        await stack.enter_async_context(hub.subscribed(TASKS_CHANNEL, got["b"].append))
        await stack.enter_async_context(hub.subscribed(DELIVERIES_CHANNEL, got["c"].append))
        await _notify(engine, TASKS_CHANNEL, "t1")
        await _notify(engine, DELIVERIES_CHANNEL, "d1")
        await _until(lambda: got["a"] == ["t1"] and got["b"] == ["t1"] and got["c"] == ["d1"])
    with pytest.raises(ValueError):
        hub.subscribe("not_a_channel", print)


async def test_a_lost_connection_comes_back_and_says_resumed(
    database_url: str, engine: AsyncEngine
) -> None:
    hub = listen_hub(database_url)
    payloads: list[str] = []
    starts: list[bool] = []
    async with hub.subscribed(TASK_EVENTS_CHANNEL, payloads.append, starts.append):
        await _until(lambda: starts == [False])
        assert await _terminate_hub_connection(engine) == 1
        await _until(lambda: starts == [False, True])
        await _notify(engine, TASK_EVENTS_CHANNEL, "after")
        await _until(lambda: payloads == ["after"])
        # A subscriber that joins a live connection hears it at once, and not as resumed.
        joined: list[bool] = []
        async with hub.subscribed(TASK_EVENTS_CHANNEL, print, joined.append):
            assert joined == [False]


async def test_any_failure_is_retried_with_backoff_and_a_failing_subscriber_harms_no_other(
    database_url: str, engine: AsyncEngine
) -> None:
    attempts: list[float] = []

    async def flaky_connect(*args: Any, **kwargs: Any) -> Any:
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            raise RuntimeError("a bug, not a network error")
        return await asyncpg.connect(*args, **kwargs)

    def broken(_payload: str) -> None:
        raise ValueError("subscriber bug")

    hub = ListenHub(asyncpg_dsn(database_url), connect=flaky_connect)
    got: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(hub.subscribed(TASKS_CHANNEL, broken))
        started: list[bool] = []
        await stack.enter_async_context(hub.subscribed(TASKS_CHANNEL, got.append, started.append))
        await _until(lambda: started == [False])
        for payload in ("one", "two"):
            await _notify(engine, TASKS_CHANNEL, payload)
        await _until(lambda: got == ["one", "two"])
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] >= 2 * (attempts[1] - attempts[0]) * 0.9  # backing off
    assert attempts[1] - attempts[0] >= listen.RECONNECT_MIN_S * 0.9


async def test_an_unreachable_database_is_retried_without_spinning() -> None:
    attempts = 0

    async def refused(*_args: Any, **_kwargs: Any) -> Any:
        nonlocal attempts
        attempts += 1
        raise OSError("connection refused")

    hub = ListenHub("postgresql://nobody@127.0.0.1:1/none", connect=refused)
    async with hub.subscribed(TASKS_CHANNEL, print):  # ready() returns after the first failure
        await asyncio.sleep(2.0)
    assert 1 <= attempts <= 5  # 0, 0.5 and 1.5 s; a spinning loop would count thousands
