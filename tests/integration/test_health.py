from __future__ import annotations

import httpx
from sqlalchemy import text

from app.api.app import create_app
from app.config import Settings
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
    engine = make_engine(database_url, pool_size=1)
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
