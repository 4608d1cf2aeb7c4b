"""`/metrics` per client key: tasks in all, today and unfinished, labelled by key name; the 50
busiest keys by name, every other key summed under `_other` (bounded cardinality)."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.integration.api.conftest import add_account, body, finish
from tests.integration.api.keys.helpers import SECRET, add_key, bearer


def _series(page: str, metric: str) -> dict[str, float]:
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(rf'^{metric}{{key="([^"]+)"}} (\S+)$', page, re.M)
    }


async def test_metrics_count_tasks_per_key(api, engine) -> None:
    await add_account(engine)
    alice, bob = await add_key(engine, "alice"), await add_key(engine, "bob")
    async with api(api_secret=SECRET) as client:
        first = body(await client.post("/mj/imagine", json={"prompt": "a"}, headers=bearer(alice)))
        await client.post("/mj/imagine", json={"prompt": "b"}, headers=bearer(alice))
        await client.post("/mj/imagine", json={"prompt": "c"}, headers=bearer(bob))
        await finish(engine, first["result"])
        page = (await client.get("/metrics")).text
    assert _series(page, "mjrelay_key_tasks") == {"alice": 2.0, "bob": 1.0}
    assert _series(page, "mjrelay_key_tasks_today") == {"alice": 2.0, "bob": 1.0}
    assert _series(page, "mjrelay_key_unfinished_tasks") == {"alice": 1.0, "bob": 1.0}


async def test_key_labels_are_bounded(api, engine) -> None:
    for n in range(55):
        await add_key(engine, f"k{n:02d}")
    async with engine.begin() as conn:  # k00 busiest … k54 least busy
        await conn.execute(text("UPDATE api_keys SET tasks_total = 100 - substr(name, 2)::int"))
    async with api() as client:
        page = (await client.get("/metrics")).text
    totals = _series(page, "mjrelay_key_tasks")
    assert len(totals) == 51 and "k49" in totals and "k50" not in totals
    assert totals["_other"] == sum(100 - n for n in range(50, 55))
