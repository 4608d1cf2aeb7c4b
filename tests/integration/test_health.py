from __future__ import annotations

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.config import Settings
from app.storage.location import parse_storage_url
from app.web import create_app
from db.engine import make_engine


async def _get(database_url: str, path: str) -> httpx.Response:
    app = create_app(Settings(), database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)


async def test_healthz_answers_without_database() -> None:
    response = await _get("postgresql://nobody@127.0.0.1:1/none", "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_ok_on_migrated_database(database_url: str) -> None:
    response = await _get(database_url, "/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_unavailable_before_migrations(empty_database_url: str) -> None:
    response = await _get(empty_database_url, "/readyz")
    assert response.status_code == 503
    assert "mjrelay migrate" in response.json()["reason"]


async def test_readyz_unavailable_when_database_unreachable() -> None:
    response = await _get("postgresql://nobody:pw-not-shown@127.0.0.1:1/none", "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "pw-not-shown" not in response.text


async def test_metrics_exposes_prometheus_text_with_database_gauges(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status) VALUES"
                " ('1', 'webman', 'IMAGINE', 'PENDING'), ('2', 'webman', 'IMAGINE', 'SUCCESS'),"
                " ('3', 'webman', 'IMAGINE', 'PENDING')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO accounts (id, token, guild_id, channel_id, health)"
                " VALUES ('a', 't', '1', '2', 'disabled')"
            )
        )
    await engine.dispose()
    await _get(database_url, "/readyz")
    response = await _get(database_url, "/metrics")
    assert response.status_code == 200
    assert "mjrelay_ready 1.0" in response.text
    assert 'mjrelay_tasks{status="PENDING"} 2.0' in response.text
    assert 'mjrelay_tasks{status="RUNNING"} 0.0' in response.text
    assert 'mjrelay_accounts{health="disabled"} 1.0' in response.text
    assert "mjrelay_callbacks_due 0.0" in response.text


async def test_readyz_names_no_database_host_or_user() -> None:
    url = "postgresql://dbadmin-user:pw-not-shown@127.0.0.1:1/prod_db_name"
    response = await _get(url, "/readyz")
    assert response.status_code == 503
    for detail in ("dbadmin-user", "pw-not-shown", "127.0.0.1", ":1", "prod_db_name"):
        assert detail not in response.text


def _plan_work(plan: dict) -> int:
    """Rows every node of an EXPLAIN ANALYZE plan produced or threw away, summed."""
    own = sum(
        int(plan.get(key, 0) * plan.get("Actual Loops", 1))
        for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck")
    )
    return own + sum(_plan_work(child) for child in plan.get("Plans", []))


async def test_metrics_reads_no_whole_table(database_url: str) -> None:
    """A long history (thousands of finished tasks and delivered callbacks) costs a scrape
    nothing: every statement /metrics runs touches only a bounded number of rows."""
    engine = make_engine(database_url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status)"
                " SELECT 'done-' || n, 'webman', 'IMAGINE', 'SUCCESS'"
                " FROM generate_series(1, 3000) AS n"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status) VALUES"
                " ('p1', 'webman', 'IMAGINE', 'PENDING'), ('r1', 'webman', 'IMAGINE', 'RUNNING')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO deliveries (task_id, seq, webhook_id, url, dialect, payload, status)"
                " SELECT 'done-' || n, 1, 'wh-' || n, 'https://example.org/', 'webman', '',"
                " 'delivered' FROM generate_series(1, 3000) AS n"
            )
        )
        await conn.execute(text("ANALYZE tasks"))
        await conn.execute(text("ANALYZE deliveries"))

    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", capture)
    try:
        response = await _get(database_url, "/metrics")
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    assert response.status_code == 200
    assert 'mjrelay_tasks{status="PENDING"} 1.0' in response.text
    assert 'mjrelay_tasks{status="RUNNING"} 1.0' in response.text
    assert "mjrelay_tasks_stored_estimate 3002.0" in response.text
    reads = [s for s in statements if " tasks" in s or " deliveries" in s]
    assert len(reads) >= 3, statements
    async with engine.connect() as conn:
        # Force index paths: a query that needs the whole table then shows it in its row counts.
        await conn.execute(text("SET enable_seqscan = off"))
        for statement in reads:
            plan = await conn.scalar(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"))
            work = _plan_work(plan[0]["Plan"])
            assert work <= 50, (statement, work)
    await engine.dispose()


async def test_readyz_unavailable_when_the_result_store_does_not_answer(
    database_url: str, monkeypatch
) -> None:
    # An S3 endpoint nobody listens on: the store's HEAD fails, so the process is not ready.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "probe")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "probe-secret-not-shown")
    app = create_app(Settings(storage_url=parse_storage_url("s3://results/mj")), database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert "result store" in response.json()["reason"]
    assert "probe-secret-not-shown" not in response.text
