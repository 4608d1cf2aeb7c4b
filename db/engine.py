"""The async engine. Takes a URL, not the settings, so tests and tools build their own.

No `pool_pre_ping`: with asyncpg it costs BEGIN, `;` and ROLLBACK — three round trips — on
every checkout, more than a fetch's own statement. A connection is pinged instead only when it
comes back to work after `idle_ping_s` of rest, when the server may have restarted or an idle
timeout may have closed it; a failed ping makes the pool open a fresh connection for that same
checkout (`DisconnectionError`). A connection that breaks while in steady use fails its
statement, and SQLAlchemy then invalidates the whole pool (every connection older than the
error is replaced at its next checkout), so the next request runs on a new connection.

`pool_size` is the most connections the pool opens, all kept open once opened (no overflow:
an overflow connection is closed at checkin, so a busy web process connected and disconnected,
a dozen round trips and a backend start, on most requests). The web and worker processes take
it from `MJRELAY_DB_POOL_SIZE` (docs/deployment.md "Database connections").
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.domain import json_codec
from db.urls import sqlalchemy_url

IDLE_PING_S = 2.0
_IDLE_SINCE = "mjrelay_idle_since"


def make_engine(
    url: str, *, pool_size: int = 20, echo: bool = False, idle_ping_s: float = IDLE_PING_S
) -> AsyncEngine:
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        echo=echo,
        json_serializer=json_codec.dumps_text,
        json_deserializer=json_codec.loads,
    )
    ping_after_rest(engine, idle_ping_s)
    return engine


def ping_after_rest(engine: AsyncEngine, idle_ping_s: float) -> None:
    """Ping a pooled connection at checkout when it has rested `idle_ping_s` or more."""
    pool_events = engine.sync_engine

    @event.listens_for(pool_events, "checkin")
    def _rested_from(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool_events, "checkout")
    def _ping_if_rested(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle_ping_s:
            return  # fresh, or in steady use
        try:
            dbapi_connection.ping()
        except Exception as exc:
            # The pool discards this connection and checks out a new one (up to three tries).
            raise DisconnectionError(f"a rested connection failed its ping: {exc}") from exc
