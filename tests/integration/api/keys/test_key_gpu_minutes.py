"""Fast GPU minutes end to end: keyed submits over HTTP, the worker and the sandbox's bot, the
account's /info read again once the jobs are done, the drop shared among the key's tasks and
exported by `key usage` (docs/keys.md "Metering and usage")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import text

from app.cli.keys import month_range, usage_rows
from app.sandbox import Sandbox, start_sandbox
from app.worker import controls
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import api_keys
from tests.integration.api.conftest import body
from tests.integration.api.keys.helpers import SECRET, add_key, bearer
from tests.stack import running_worker, wait_for_status

WAIT_S = 30.0


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=3) as sb:
        yield sb


async def _minutes_left(engine, account_id: str) -> float | None:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT fast_minutes_left FROM accounts WHERE id = :id"), {"id": account_id}
        )


async def _gpu(engine, ids: list[str]) -> list[float | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, gpu_minutes FROM tasks WHERE id = ANY(:ids)"), {"ids": ids}
        )
        found = {row[0]: row[1] for row in rows}
    return [found.get(task_id) for task_id in ids]


async def test_the_fast_time_a_keys_tasks_spent_is_read_from_info(
    api, engine, database_url, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(controls, "INFO_AFTER_JOBS_S", 0.0)  # a reading each time it goes idle
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    account_id = sandbox.accounts[0].channel_id
    shop = await add_key(engine, "shop")
    loop = asyncio.get_running_loop()
    async with running_worker(database_url, engine), api(api_secret=SECRET) as client:
        deadline = loop.time() + WAIT_S
        while (before := await _minutes_left(engine, account_id)) is None:
            assert loop.time() < deadline, "the account's /info was never read"
            await asyncio.sleep(0.05)
        ids = []
        for n in range(3):  # one after another: the account goes idle after each
            reply = await client.post(
                "/mj/submit/imagine", json={"prompt": f"a fox {n} --fast"}, headers=bearer(shop)
            )
            ids.append(body(reply)["result"])
            await wait_for_status(engine, ids[-1], "SUCCESS")
        while None in (gpu := await _gpu(engine, ids)):
            assert loop.time() < deadline + WAIT_S, f"no estimate for every task: {gpu}"
            await asyncio.sleep(0.05)
    after = await _minutes_left(engine, account_id)
    assert before is not None and after is not None
    # The sandbox charges 1 GPU minute per fast grid (app/sandbox/mj_profile.py); /info shows
    # hundredths of an hour, and the estimates add up to exactly what it showed spent.
    assert abs(sum(gpu) - (before - after)) < 1e-6
    assert abs(sum(gpu) - 3.0) <= 0.6 and all(g >= 0 for g in gpu)

    async with engine.connect() as conn:
        key_id = (await api_keys.key_by_name(conn, "shop"))["id"]
        first, last = month_range(datetime.now(UTC).strftime("%Y-%m"))
        (row,) = usage_rows(await api_keys.usage_by_day(conn, key_id, first, last))
    assert (row["action"], row["status"], row["mode"], row["tasks"]) == (
        "IMAGINE",
        "SUCCESS",
        "fast",
        3,
    )
    assert row["gpu_minutes_source"] == "info"
    assert abs(row["gpu_minutes"] - round(sum(gpu), 2)) < 0.011
