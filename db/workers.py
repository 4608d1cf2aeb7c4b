"""SQL for the worker registry: heartbeats, so workers can share accounts fairly."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# -- heartbeat_worker: register or refresh this worker; forget workers silent for 10 TTLs.
_HEARTBEAT = text(
    """
    INSERT INTO workers (id, hostname, pid) VALUES (:id, :hostname, :pid)
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
    """
)
_FORGET_DEAD = text(
    "DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => :ttl * 10)"
)


async def heartbeat_worker(
    conn: AsyncConnection, worker_id: str, hostname: str, pid: int, ttl_s: float
) -> None:
    await conn.execute(_HEARTBEAT, {"id": worker_id, "hostname": hostname, "pid": pid})
    await conn.execute(_FORGET_DEAD, {"ttl": ttl_s})


# -- live_worker_count: workers whose heartbeat is within one lease TTL.
_LIVE = text(
    "SELECT count(*) FROM workers WHERE heartbeat_at > now() - make_interval(secs => :ttl)"
)


async def live_worker_count(conn: AsyncConnection, ttl_s: float) -> int:
    return int((await conn.execute(_LIVE, {"ttl": ttl_s})).scalar_one())


async def remove_worker(conn: AsyncConnection, worker_id: str) -> None:
    await conn.execute(text("DELETE FROM workers WHERE id = :id"), {"id": worker_id})
