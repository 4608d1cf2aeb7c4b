"""Client keys for the tests: made straight in the database, the way `mjrelay key add` does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.domain.keys import key_hash, new_key, shown_prefix
from db import api_keys

SECRET = "the-operator-secret"
OPERATOR = {"mj-api-secret": SECRET}


async def add_key(engine, name: str, **limits: Any) -> str:
    """A new key named `name` with `limits` (api_keys.insert_key's); returns its value."""
    key = new_key()
    async with engine.begin() as conn:
        await api_keys.insert_key(
            conn, name=name, key_hash=key_hash(key), key_prefix=shown_prefix(key), **limits
        )
    return key


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def unfinished_of(engine, name: str) -> int:
    """The key's tasks that are not final, counted in SQL."""
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM tasks t JOIN api_keys k ON k.id = t.key_id"
                    " WHERE k.name = :name AND t.status NOT IN ('SUCCESS', 'FAILURE', 'CANCEL')"
                ),
                {"name": name},
            )
        )


async def tasks_of(engine, name: str) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT t.id FROM tasks t JOIN api_keys k ON k.id = t.key_id"
                " WHERE k.name = :name ORDER BY t.created_at"
            ),
            {"name": name},
        )
        return [row[0] for row in rows]
