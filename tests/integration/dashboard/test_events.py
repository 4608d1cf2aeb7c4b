"""`GET /events`: Postgres LISTEN -> Server-Sent Events, on a real server and real Postgres."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy import text

from app import taskstore
from app.config import Settings
from app.dashboard.events import Subscriber, sse_message
from app.domain.task import Task
from app.web import create_app
from tests.integration.api.conftest import add_account, finish
from tests.integration.dashboard.helpers import event_stream, next_event, serve_app


@pytest_asyncio.fixture(loop_scope="session")
async def base_url(database_url: str) -> AsyncIterator[str]:
    async with serve_app(create_app(Settings(), database_url)) as url:
        yield url


async def _create(engine, task_id: str, **fields) -> Task:
    values = {"dialect": "novicezk", "action": "IMAGINE", "prompt": "a quiet lake"}
    values.update(fields)
    return await taskstore.create_task(engine, Task(id=task_id, **values))


async def test_a_task_change_arrives_as_an_event(base_url, engine) -> None:
    async with event_stream(base_url) as lines:
        await _create(engine, "2000000000000001")
        created = await next_event(lines)
        await taskstore.record_change(
            engine,
            "2000000000000001",
            {"status": "RUNNING", "progress": 46, "preview_url": "http://cdn.test/p.webp"},
            kind="progress",
        )
        running = await next_event(lines)
    assert (created.event, created.id) == ("task", "2000000000000001:1")
    assert created.data["status"] == "PENDING" and created.data["prompt"] == "a quiet lake"
    assert (running.event, running.id) == ("task", "2000000000000001:2")
    assert running.data["status"] == "RUNNING"
    assert running.data["progress"] == 46
    assert running.data["preview_url"] == "http://cdn.test/p.webp"
    assert set(created.data) >= {
        "id", "seq", "status", "progress", "action", "bot", "dialect", "prompt", "final_prompt",
        "account_id", "parent_id", "image_url", "preview_url", "video_url", "fail_reason",
        "buttons", "submit_time", "start_time", "finish_time", "final",
    }  # fmt: skip


async def test_task_id_filter_sends_the_current_state_then_only_that_task(base_url, engine) -> None:
    await add_account(engine)
    await _create(engine, "2000000000000002")
    await _create(engine, "2000000000000003")
    async with event_stream(base_url, "?task_id=2000000000000002") as lines:
        snapshot = await next_event(lines)
        await taskstore.record_change(engine, "2000000000000003", {"progress": 5}, kind="x")
        await finish(engine, "2000000000000002")
        seen = [await next_event(lines)]
        while not seen[-1].data["final"]:
            seen.append(await next_event(lines))
    assert snapshot.id == "2000000000000002:1" and snapshot.data["status"] == "PENDING"
    assert {e.data["id"] for e in seen} == {"2000000000000002"}
    final = seen[-1].data
    assert (final["status"], final["progress"], final["seq"]) == ("SUCCESS", 100, 5)
    labels = [b["label"] for b in final["buttons"]]
    assert labels[:4] == ["U1", "U2", "U3", "U4"]
    assert all(b["custom_id"].startswith("MJ::") for b in final["buttons"])
    seqs = [e.data["seq"] for e in seen]
    assert seqs == sorted(set(seqs)), "in order, no state twice"


async def test_file_urls_in_events_are_absolute_on_this_server(base_url, engine) -> None:
    await add_account(engine)
    props = {"_origin": "http://elsewhere", "_file_token": "tok123"}
    await _create(engine, "2000000000000004", properties=props)
    async with event_stream(base_url, "?task_id=2000000000000004") as lines:
        await next_event(lines)
        await finish(engine, "2000000000000004")
        event = await next_event(lines)
        while not event.data["final"]:
            event = await next_event(lines)
    assert event.data["image_url"] == f"{base_url}/files/2000000000000004/tok123/image.png"
    assert "properties" not in event.data  # internal keys (the file token) stay inside


async def test_every_client_gets_each_change_over_one_listener(base_url, engine) -> None:
    async with contextlib.AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(event_stream(base_url)) for _ in range(3)]
        await _create(engine, "2000000000000005")
        events = await asyncio.gather(*(next_event(lines) for lines in streams))
    assert [e.id for e in events] == ["2000000000000005:1"] * 3


async def test_bad_task_id_is_refused(base_url) -> None:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        reply = await client.get("/events", params={"task_id": "a\x00b"})
    assert reply.status_code == 400


async def test_a_subscriber_keeps_the_newest_state_per_task_in_order() -> None:
    subscriber = Subscriber(None)
    subscriber.push("a", {"id": "a", "seq": 1})
    subscriber.push("b", {"id": "b", "seq": 1})
    subscriber.push("a", {"id": "a", "seq": 3})
    subscriber.push("a", {"id": "a", "seq": 2})  # older than one already queued: dropped
    got = []
    while (state := await subscriber.next(0.01)) is not None:
        got.append((state["id"], state["seq"]))
    subscriber.push("b", {"id": "b", "seq": 1})  # already sent: dropped
    assert await subscriber.next(0.01) is None
    assert got == [("b", 1), ("a", 3)]


async def test_a_lost_listener_reconnects_and_says_resync(base_url, engine) -> None:
    async with event_stream(base_url) as lines:
        await _create(engine, "2000000000000006")
        assert (await next_event(lines)).id == "2000000000000006:1"
        async with engine.begin() as conn:
            killed = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'mjrelay-listen' AND datname = current_database()"
                )
            )
        assert killed == 1
        assert (await next_event(lines)).event == "resync"
        await taskstore.record_change(engine, "2000000000000006", {"progress": 9}, kind="x")
        after = await next_event(lines)
    assert (after.id, after.data["progress"]) == ("2000000000000006:2", 9)


def test_sse_message_format() -> None:
    state = {"id": "7", "seq": 2, "image_url": "/files/7/t/image.png", "status": "SUCCESS"}
    message = sse_message(state, "https://relay.example")
    assert message == (
        b'id: 7:2\nevent: task\ndata: {"id":"7","seq":2,'
        b'"image_url":"https://relay.example/files/7/t/image.png","status":"SUCCESS"}\n\n'
    )
    assert sse_message({"type": "resync"}, "x") == b"event: resync\ndata: {}\n\n"
