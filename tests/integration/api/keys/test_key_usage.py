"""The monthly usage export (`mjrelay key usage`): tasks per key, day, action, status and mode,
the minutes they ran and their callbacks delivered, from the tasks themselves."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import text

from app.cli.keys import USAGE_FIELDS, month_range, usage_rows
from db import api_keys
from tests.integration.api.conftest import add_account, body, finish
from tests.integration.api.keys.helpers import SECRET, add_key, bearer


async def test_usage_counts_a_keys_tasks_run_minutes_and_callbacks(api, engine) -> None:
    await add_account(engine)
    shop, other = await add_key(engine, "shop"), await add_key(engine, "other")
    async with api(api_secret=SECRET) as client:
        hook = {"notifyHook": "https://hooks.example.com/x"}
        ids = [
            body(
                await client.post(
                    "/mj/submit/imagine", json={"prompt": f"p{i}", **hook}, headers=bearer(shop)
                )
            )["result"]
            for i in range(2)
        ]
        await client.post("/mj/imagine", json={"prompt": "q"}, headers=bearer(other))
    for task_id in ids:
        await finish(engine, task_id)
    async with engine.begin() as conn:  # ran 90 s each; their callbacks delivered
        await conn.execute(
            text(
                "UPDATE tasks SET start_time = finish_time - 90000, mode = 'fast'"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        # one has an estimate from /info (db/gpu_time.py), the other falls back to wall-clock
        await conn.execute(
            text("UPDATE tasks SET gpu_minutes = 2.0 WHERE id = :id"), {"id": ids[0]}
        )
        await conn.execute(
            text("UPDATE deliveries SET status = 'delivered' WHERE task_id = ANY(:ids)"),
            {"ids": ids},
        )
        key_id = (await api_keys.key_by_name(conn, "shop"))["id"]
        first, last = month_range(datetime.now(UTC).strftime("%Y-%m"))
        rows = usage_rows(await api_keys.usage_by_day(conn, key_id, first, last))
        everyone = usage_rows(await api_keys.usage_by_day(conn, None, first, last))
    (row,) = rows
    assert row["key"] == "shop" and row["action"] == "IMAGINE" and row["status"] == "SUCCESS"
    assert row["tasks"] == 2 and row["run_minutes"] == 3.0 and row["mode"] == "fast"
    assert row["gpu_minutes"] == 3.5 and row["gpu_minutes_source"] == "info+wall-clock"
    assert row["callbacks_delivered"] >= 2
    assert {r["key"] for r in everyone} == {"shop", "other"}
    json.dumps(rows)  # plain JSON values
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=USAGE_FIELDS).writerows(rows)
    assert out.getvalue().startswith("shop,")
