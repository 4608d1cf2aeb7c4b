"""`mjrelay key …` as an operator runs it: the key is printed once, only its hash is stored, and
list, disable, enable, rotate and usage work on the same database as the web process."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text

from app.domain.keys import key_hash
from tests.e2e.processes import run


async def _stored(engine) -> list[tuple]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT key_hash, rate_per_min FROM api_keys"))
        return [tuple(row) for row in rows]


async def test_key_lifecycle_on_the_command_line(database_url: str, engine) -> None:
    env = {"DATABASE_URL": database_url}
    added = run(
        "key", "add", "--name", "shop", "--daily-limit", "2", "--rate", "2/s",
        "--expires", "2999-01-31", "--dialects", "novicezk,webman", **env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert key.startswith("mjr_") and len(key) > 40
    assert "shown only this once" in added.stderr and key not in added.stderr
    assert "no MJRELAY_API_SECRET" in added.stderr  # keys alone leave the server open
    assert await _stored(engine) == [(key_hash(key), 120)]

    listed = run("key", "list", "--json", **env)
    assert listed.returncode == 0 and key not in listed.stdout
    (row,) = json.loads(listed.stdout)
    assert row["name"] == "shop" and row["daily_limit"] == 2 and row["enabled"]
    assert row["dialects"] == ["novicezk", "webman"] and row["prefix"] == key[:10] + "…"
    assert "shop" in run("key", "list", **env).stdout

    assert run("key", "add", "--name", "shop", **env).returncode == 1  # names are unique
    assert run("key", "add", "--name", "x", "--rate", "fast", **env).returncode == 2
    assert run("key", "add", "--name", "x", "--dialects", "midjourney", **env).returncode == 2
    assert run("key", "disable", "shop", **env).stdout.strip() == "key shop disabled"
    assert json.loads(run("key", "list", "--json", **env).stdout)[0]["enabled"] is False
    assert run("key", "enable", "shop", **env).returncode == 0
    assert run("key", "disable", "nobody", **env).returncode == 1

    rotated = run("key", "rotate", "shop", **env)
    fresh = rotated.stdout.strip()
    assert rotated.returncode == 0 and fresh.startswith("mjr_") and fresh != key
    assert await _stored(engine) == [(key_hash(fresh), 120)]

    usage = run("key", "usage", "--month", "2026-12", **env)
    assert usage.returncode == 0
    assert next(csv.reader(io.StringIO(usage.stdout))) == [
        "key", "day", "action", "status", "mode", "tasks", "run_minutes", "gpu_minutes",
        "gpu_minutes_source", "callbacks_delivered",
    ]  # fmt: skip
    as_json = json.loads(run("key", "usage", "shop", "--format", "json", **env).stdout)
    assert as_json["usage"] == []
    assert run("key", "usage", "--month", "December", **env).returncode == 2
