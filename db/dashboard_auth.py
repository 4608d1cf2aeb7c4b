"""SQL for dashboard sign-ins: server-side sessions and the login rate limit (shared by every
web process, since Postgres is the only store)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, insert, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import dashboard_login_failures as failures
from db.tables import dashboard_sessions as sessions


async def add_session(conn: AsyncConnection, id_hash: str, ttl_s: int) -> None:
    """Record a new session; expired ones are swept on the way (a small, indexed delete)."""
    await conn.execute(delete(sessions).where(sessions.c.expires_at < func.now()))
    await conn.execute(
        insert(sessions).values(
            id_hash=id_hash, expires_at=func.now() + literal(timedelta(seconds=ttl_s))
        )
    )


async def session_alive(conn: AsyncConnection, id_hash: str) -> bool:
    found = await conn.scalar(
        select(literal(1)).where(sessions.c.id_hash == id_hash, sessions.c.expires_at > func.now())
    )
    return found is not None


async def end_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


_WINDOW_OPEN = text("window_started_at > now() - make_interval(secs => :window_s)")


async def failures_in_window(conn: AsyncConnection, client: str, window_s: int) -> int:
    count = await conn.scalar(
        select(failures.c.failures)
        .where(failures.c.client == client)
        .where(_WINDOW_OPEN.bindparams(window_s=window_s))
    )
    return int(count or 0)


async def add_failure(conn: AsyncConnection, client: str, window_s: int) -> int:
    """Count one failed sign-in for `client`; returns the failures in its current window."""
    await conn.execute(
        delete(failures).where(
            text("window_started_at <= now() - make_interval(secs => :window_s)").bindparams(
                window_s=window_s
            )
        )
    )
    first = pg_insert(failures).values(client=client, failures=1, window_started_at=func.now())
    counted = first.on_conflict_do_update(
        index_elements=[failures.c.client],
        set_={"failures": failures.c.failures + 1},
    ).returning(failures.c.failures)
    return int((await conn.execute(counted)).scalar_one())


async def clear_failures(conn: AsyncConnection, client: str) -> None:
    await conn.execute(delete(failures).where(failures.c.client == client))
