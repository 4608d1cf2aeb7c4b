from __future__ import annotations

import base64
import os
import time

import httpx
from sqlalchemy import text
from standardwebhooks import Webhook

from app.callbacks.dispatcher import DispatcherConfig
from app.callbacks.policy import RetrySchedule
from app.config import Settings
from app.metrics import REGISTRY
from app.web import create_app
from db import delivery_claims as db
from db.urls import asyncpg_dsn
from tests.integration.callbacks.helpers import (
    LOOPBACK,
    Reply,
    add_delivery,
    add_task,
    attempts_of,
    delivery_rows,
    wait_until,
)


def secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def config(**kw) -> DispatcherConfig:
    values = {
        "allowlist": LOOPBACK,
        "schedule": RetrySchedule((0.05,) * 5),
        "poll_interval_s": 0.05,
        "concurrency": 4,
    }
    values.update(kw)
    return DispatcherConfig(**values)


async def all_finished(engine) -> bool:
    return not await delivery_rows(engine, "status = 'pending'")


async def test_delivers_exact_bytes_with_signed_standard_webhook_headers__rotation(
    engine, receivers, dispatchers
) -> None:
    old, new = secret(), secret()
    receiver = await receivers()
    await add_task(engine, "1700000000000000001")
    payloads = [f'{{"id":"1700000000000000001","n":{n},"p":"\u732b"}}'.encode() for n in range(3)]
    for payload in payloads:
        await add_delivery(engine, "1700000000000000001", receiver.url(), payload)
    dispatchers(config(secrets=(new, old)))
    await wait_until(lambda: all_finished(engine))

    rows = await delivery_rows(engine)
    assert [r["status"] for r in rows] == ["delivered"] * 3
    assert [r.body for r in receiver.requests] == payloads
    assert receiver.connections == 3  # the counter the SSRF tests rely on does count
    for row, request in zip(rows, receiver.requests, strict=True):
        headers = request.headers
        assert headers["content-type"] == "application/json"
        assert headers["webhook-id"] == row["webhook_id"]
        assert headers["x-mjrelay-sequence"] == str(row["seq"])
        assert headers["x-mjrelay-task-id"] == "1700000000000000001"
        assert len(headers["webhook-signature"].split(" ")) == 2
        # Receivers holding either secret accept every callback during the rotation.
        assert Webhook(old).verify(request.body, headers, json_parse=False) is None
        assert Webhook(new).verify(request.body, headers, json_parse=False) is None
        [entry] = attempts_of(row)
        assert entry["status_code"] == 200 and entry["outcome"] == "delivered"
        assert entry["latency_ms"] >= 0 and entry["at"]
        assert row["delivered_at"] is not None


async def test_retries_keep_the_webhook_id_then_succeed(engine, receivers, dispatchers) -> None:
    answers = iter([500, 302, 404, 200])
    receiver = await receivers(
        lambda _r: Reply(status=next(answers), headers={"location": "http://127.0.0.1:1/"})
    )
    await add_task(engine, "t-retry")
    new = await add_delivery(engine, "t-retry", receiver.url())
    dispatchers(config())
    await wait_until(lambda: all_finished(engine))

    [row] = await delivery_rows(engine)
    assert row["status"] == "delivered" and row["attempts"] == 4
    assert {r.headers["webhook-id"] for r in receiver.requests} == {new.webhook_id}
    assert [r.headers["x-mjrelay-attempt"] for r in receiver.requests] == ["1", "2", "3", "4"]
    log = attempts_of(row)
    assert [e["outcome"] for e in log] == ["http_error", "redirect", "http_error", "delivered"]
    assert "not followed" in log[1]["error"]
    assert receiver.connections == 4  # the redirect target (port 1) was never dialled


async def test_gives_up_after_the_schedule(engine, receivers, dispatchers) -> None:
    receiver = await receivers(lambda _r: Reply(status=503))
    await add_task(engine, "t-fail")
    await add_delivery(engine, "t-fail", receiver.url())
    dispatchers(config(schedule=RetrySchedule((0.05, 0.05))))
    await wait_until(lambda: all_finished(engine))
    [row] = await delivery_rows(engine)
    assert row["status"] == "failed" and row["attempts"] == 3
    assert row["last_status_code"] == 503 and row["last_error"] == "HTTP 503"
    assert len(receiver.requests) == 3


async def test_retry_after_postpones_the_next_attempt(engine, receivers, dispatchers) -> None:
    answers = iter([Reply(status=429, headers={"retry-after": "2"}), Reply()])
    receiver = await receivers(lambda _r: next(answers))
    await add_task(engine, "t-ra")
    await add_delivery(engine, "t-ra", receiver.url())
    dispatchers(config())
    await wait_until(lambda: all_finished(engine), timeout_s=10)
    [row] = await delivery_rows(engine)
    first, second = receiver.requests
    assert second.at - first.at >= 1.9  # the schedule alone would retry after 0.05 s
    assert attempts_of(row)[0]["retry_in_s"] >= 2.0


async def test_410_stops_and_disables_the_url_until_redelivered(
    engine, receivers, dispatchers
) -> None:
    gone = True
    receiver = await receivers(lambda _r: Reply(status=410 if gone else 200))
    await add_task(engine, "t-gone")
    await add_task(engine, "t-other")
    first = await add_delivery(engine, "t-gone", receiver.url())
    dispatchers(config())
    await wait_until(lambda: all_finished(engine))
    await add_delivery(engine, "t-gone", receiver.url())
    await add_delivery(engine, "t-other", receiver.url())
    await wait_until(lambda: all_finished(engine))

    rows = await delivery_rows(engine)
    assert [r["status"] for r in rows] == ["gone", "disabled", "disabled"]
    assert rows[0]["attempts"] == 1
    assert len(receiver.requests) == 1  # nothing was sent to the disabled URL

    # An operator redelivers through the API: the URL is enabled again and the callback sent.
    gone = False
    app = create_app(Settings(), "postgresql://unused/")
    app.state.engine = engine
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
        answer = await api.post(f"/api/deliveries/{first.id}/redeliver")
        assert answer.status_code == 202, answer.text
        assert answer.json()["status"] == "pending"
        await wait_until(lambda: all_finished(engine))
        listing = await api.get("/api/tasks/t-gone/deliveries")
        assert (await api.post("/api/deliveries/999999/redeliver")).status_code == 404
        assert (await api.post("/api/deliveries/abc/redeliver")).status_code == 404
        assert (await api.get("/api/tasks/nope/deliveries")).status_code == 404
        empty = await api.get("/api/tasks/t-other/deliveries")
    assert empty.status_code == 200
    body = listing.json()
    assert body["task_id"] == "t-gone"
    first_row, second_row = body["deliveries"]
    assert first_row["status"] == "delivered"
    assert first_row["webhook_id"] == first.webhook_id
    assert [a["status_code"] for a in first_row["attempt_log"]] == [410, 200]
    assert first_row["payload"] == '{"id": "t-gone"}'
    assert second_row["status"] == "disabled"
    assert receiver.requests[-1].headers["webhook-id"] == first.webhook_id


async def test_delivery_api_requires_the_api_secret_when_set(engine) -> None:
    await add_task(engine, "t-auth")
    new = await add_delivery(engine, "t-auth", "http://127.0.0.1:9/")
    app = create_app(Settings(api_secret="s3cret-value"), "postgresql://unused/")
    app.state.engine = engine
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
        assert (await api.get("/api/tasks/t-auth/deliveries")).status_code == 401
        assert (await api.post(f"/api/deliveries/{new.id}/redeliver")).status_code == 401
        good = {"mj-api-secret": "s3cret-value"}
        listing = await api.get("/api/tasks/t-auth/deliveries", headers=good)
        bearer = {"authorization": "Bearer s3cret-value"}
        again = await api.post(f"/api/deliveries/{new.id}/redeliver", headers=bearer)
    assert listing.status_code == 200 and len(listing.json()["deliveries"]) == 1
    assert again.status_code == 202


async def test_notify_wakes_an_idle_dispatcher(engine, database_url, receivers, dispatchers):
    receiver = await receivers()
    await add_task(engine, "t-notify")
    # Polling every 60 s: only the NOTIFY sent at commit can explain a prompt delivery.
    dispatchers(config(poll_interval_s=60.0), listen_dsn=asyncpg_dsn(database_url))
    await add_delivery(engine, "t-notify", receiver.url("/warmup"))  # LISTEN may not be up yet
    await wait_until(lambda: all_finished(engine), timeout_s=65)
    started = time.monotonic()
    await add_delivery(engine, "t-notify", receiver.url())
    await wait_until(lambda: all_finished(engine), timeout_s=5)
    assert time.monotonic() - started < 2.0
    assert receiver.requests[-1].target == "/hook"


async def test_invalid_urls_fail_without_retrying(engine, dispatchers) -> None:
    await add_task(engine, "t-bad")
    for url in ("ftp://127.0.0.1/x", "not a url", "http:///nohost", "file:///etc/passwd"):
        await add_delivery(engine, "t-bad", url)
    dispatchers(config())
    await wait_until(lambda: all_finished(engine))
    rows = await delivery_rows(engine)
    assert [r["status"] for r in rows] == ["failed"] * 4
    assert all(attempts_of(r)[0]["outcome"] == "invalid_url" for r in rows)


async def test_metrics_count_attempts_failures_depth_and_lag(engine, receivers, dispatchers):
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = {
        "ok": sample("mjrelay_callback_attempts_total", outcome="delivered"),
        "err": sample("mjrelay_callback_attempts_total", outcome="http_error"),
        "fail": sample("mjrelay_callback_failures_total", outcome="http_error"),
        "lag": sample("mjrelay_callback_lag_seconds_count"),
        "done": sample("mjrelay_callback_deliveries_finished_total", status="delivered"),
    }
    answers = iter([500, 200, 200])
    receiver = await receivers(lambda _r: Reply(status=next(answers)))
    await add_task(engine, "t-metrics")
    await add_delivery(engine, "t-metrics", receiver.url())
    await add_delivery(engine, "t-metrics", receiver.url())
    await add_task(engine, "t-later")
    await add_delivery(engine, "t-later", receiver.url())
    async with engine.begin() as conn:  # one delivery due in an hour: counted as pending only
        await conn.execute(
            text("UPDATE deliveries SET next_attempt_at = now() + interval '1 hour'"
                 " WHERE task_id = 't-later'")
        )  # fmt: skip
    dispatchers(config(stats_interval_s=0.1))
    await wait_until(lambda: len(receiver.requests) == 3)
    await wait_until(lambda: sample("mjrelay_callback_queue_depth", state="pending") == 1)
    assert sample("mjrelay_callback_queue_depth", state="due") == 0
    assert sample("mjrelay_callback_attempts_total", outcome="delivered") - before["ok"] == 2
    assert sample("mjrelay_callback_attempts_total", outcome="http_error") - before["err"] == 1
    assert sample("mjrelay_callback_failures_total", outcome="http_error") - before["fail"] == 1
    assert sample("mjrelay_callback_lag_seconds_count") - before["lag"] == 3
    assert (
        sample("mjrelay_callback_deliveries_finished_total", status="delivered") - before["done"]
        == 2
    )


async def test_redeliver_during_an_attempt_answers_409(engine) -> None:
    await add_task(engine, "t-busy")
    new = await add_delivery(engine, "t-busy", "http://127.0.0.1:9/")
    app = create_app(Settings(), "postgresql://unused/")
    app.state.engine = engine
    transport = httpx.ASGITransport(app=app)
    async with engine.connect() as holder:
        await holder.begin()
        claimed = await db.claim_due_delivery(holder)  # what a dispatcher holds mid-attempt
        assert claimed is not None and claimed.id == new.id
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            answer = await api.post(f"/api/deliveries/{new.id}/redeliver")
        await holder.rollback()
    assert answer.status_code == 409
    assert "being attempted" in answer.json()["error"]
