"""No task is stranded: disabled accounts hand their work over, a sweeper ends overdue tasks,
and a token Discord refuses over REST disables its account.

Real Postgres, the sandbox over real sockets, the worker's own supervisor (and dispatcher).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.callbacks.ssrf import Allowlist
from app.config import Settings
from app.domain.status import TIMEOUT_REASON
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.main import run_worker
from app.worker.sandbox_accounts import register_sandbox_accounts
from app.worker.sweeper import Sweeper
from db import accounts as account_queries
from tests.integration.api.conftest import add_account, finish
from tests.integration.callbacks.helpers import Receiver, wait_until
from tests.integration.worker.helpers import events_of, status_of
from tests.stack import running_worker
from tests.web import app_client

HANDOVER_BOUND_S = 60.0  # the promise: a disabled account's task is final within a minute


@contextlib.asynccontextmanager
async def full_worker(database_url: str, **settings: object) -> AsyncIterator[None]:
    """`mjrelay worker` in this loop: supervisor and callback dispatcher."""
    config = Settings(poll_interval_s=0.5, account_lease_ttl_s=5, **settings)  # type: ignore[arg-type]
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(config, database_url, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)


async def wait_for(engine: AsyncEngine, task_id: str, statuses: set[str], timeout_s: float) -> Task:
    deadline = time.monotonic() + timeout_s
    while True:
        task = await status_of(engine, task_id)
        if task.status in statuses:
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {task.status} after {timeout_s} s")
        await asyncio.sleep(0.05)


async def deliveries_of(engine: AsyncEngine, task_id: str) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT seq, payload, status FROM deliveries WHERE task_id = :id ORDER BY seq"),
            {"id": task_id},
        )
        return [dict(row) for row in rows.mappings()]


# ------------------------------------------------------------------------------ hand-over


async def test_disabling_an_account_from_the_dashboard_mid_job_ends_the_task_with_a_callback(
    database_url: str, engine: AsyncEngine
) -> None:
    receiver = await Receiver().start()
    allow = {"callback_allowlist": Allowlist.parse(["127.0.0.1"])}
    try:
        async with start_sandbox(port=0, accounts=1, speed="fast", seed=21) as sb:
            [spec] = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
            async with app_client(database_url, **allow) as web, full_worker(database_url, **allow):
                reply = await web.post(
                    "/mj/submit/imagine",
                    json={
                        "prompt": "a slow lighthouse at dusk --sandbox-fault delay:50",
                        "notifyHook": receiver.url(),
                    },
                )
                task_id = reply.json()["result"]
                await wait_for(engine, task_id, {"RUNNING"}, 30)  # the bot is on it
                disabled = await web.post(f"/dashboard/accounts/{spec.id}/disable")
                assert disabled.status_code == 303, disabled.text
                asked = time.monotonic()
                task = await wait_for(
                    engine, task_id, {"SUCCESS", "FAILURE", "CANCEL"}, HANDOVER_BOUND_S
                )

                def got_final_callback() -> bool:
                    return any(
                        json.loads(r.body).get("status") == "FAILURE" for r in receiver.requests
                    )

                await wait_until(got_final_callback, HANDOVER_BOUND_S - (time.monotonic() - asked))
        final = next(json.loads(r.body) for r in receiver.requests if b'"FAILURE"' in r.body)
    finally:
        await receiver.close()
    assert task.status == "FAILURE"
    assert task.fail_reason is not None
    assert f"account {spec.id} was disabled by an operator" in task.fail_reason
    assert "not in the channel" in task.fail_reason
    assert final["id"] == task_id and final["failReason"] == task.fail_reason
    assert (await events_of(engine, task_id))[-1]["kind"] == "account_disabled"


async def test_a_job_that_finished_while_no_worker_ran_is_reconciled_from_the_channel(
    database_url: str, engine: AsyncEngine
) -> None:
    """The account was disabled (CLI) while no worker listened; its result is in the channel."""
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=22) as sb:
        [spec] = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        task = Task(
            id="4100000000000001",
            dialect="webman",
            action="IMAGINE",
            prompt="an orchard in the rain --sandbox-fault delay:3",
            notify_url="http://hooks.example/cb",
        )
        await taskstore.create_task(engine, task)
        async with running_worker(database_url, engine):
            await wait_for(engine, task.id, {"RUNNING"}, 30)
        # The worker is gone (its leases released); the job goes on in Discord.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MJRELAY_")}
        env["DATABASE_URL"] = database_url
        cli = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "app.cli", "account", "disable", spec.id],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert cli.returncode == 0, cli.stderr.decode()
        await wait_until(lambda: not sb.core.midjourney.running, 30)  # the bot posted the result
        assert (await status_of(engine, task.id)).status == "RUNNING"
        async with running_worker(database_url, engine):
            done = await wait_for(engine, task.id, {"SUCCESS", "FAILURE"}, HANDOVER_BOUND_S)
    assert done.status == "SUCCESS", done.fail_reason
    assert done.image_url and done.buttons and done.message_hash
    # Notes may follow the final state (the archiver's `archived`); the final event is the last
    # status change, and its callback the last one sent.
    events = [e for e in await events_of(engine, task.id) if e["kind"] != "archived"]
    assert events[-1]["kind"] == "finished" and events[-1]["data"]["reconciled"] is True
    assert [d["seq"] for d in await deliveries_of(engine, task.id)][-1] == events[-1]["seq"]
    async with engine.connect() as conn:
        account = await account_queries.get_account(conn, spec.id)
    assert account is not None and account["owner"] is None  # the hand-over let it go


async def test_follow_ups_pinned_to_a_disabled_account_fail_at_once(
    database_url: str, engine: AsyncEngine
) -> None:
    await add_account(engine, "acct-off")
    grid = Task(id="4200000000000001", dialect="novicezk", action="IMAGINE", prompt="a cat")
    await taskstore.create_task(engine, grid)
    await finish(engine, grid.id, account="acct-off")

    def follow_up(task_id: str) -> Task:
        return Task(
            id=task_id,
            dialect="novicezk",
            action="UPSCALE",
            parent_id=grid.id,
            account_id="acct-off",
            params={"index": 1},
            prompt="a cat",
            notify_url="http://hooks.example/cb",
        )

    queued_before = await taskstore.create_task(engine, follow_up("4200000000000002"))
    async with engine.begin() as conn:
        await account_queries.set_enabled(conn, "acct-off", False)
    async with running_worker(database_url, engine):
        before = await wait_for(engine, queued_before.id, {"FAILURE"}, 10)
        queued_after = await taskstore.create_task(engine, follow_up("4200000000000003"))
        asked = time.monotonic()
        after = await wait_for(engine, queued_after.id, {"FAILURE"}, 10)
        waited = time.monotonic() - asked
    for task in (before, after):
        assert task.fail_reason is not None
        assert "account acct-off was disabled by an operator" in task.fail_reason
        assert "parent" in task.fail_reason
        events = await events_of(engine, task.id)
        assert events[-1]["kind"] == "account_disabled" and events[-1]["status"] == "FAILURE"
        assert (await deliveries_of(engine, task.id))[-1]["seq"] == events[-1]["seq"]
    assert waited < 5, "a new follow-up of a disabled account waited for a sweep interval"


# ------------------------------------------------------------------------------ overdue


async def _stranded_row(
    engine: AsyncEngine,
    task_id: str,
    *,
    overdue_s: float,
    account_id: str | None = None,
    status: str = "RUNNING",
    leased_by: str | None = None,
    fence: int | None = None,
) -> None:
    """A task row left in flight by a runner that is gone (written directly, as a crash would)."""
    started_ms = int((time.time() - 600 - overdue_s) * 1000)  # accounts time out after 600 s
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status, prompt, account_id, leased_by,"
                " fence, nonce, start_time, submit_time, event_seq, notify_url)"
                " VALUES (:id, 'novicezk', 'IMAGINE', :status, 'a stranded cat', :account,"
                " :leased_by, :fence, '1300000000000000999', :started, :started, 3,"
                " 'http://hooks.example/cb')"
            ),
            {
                "id": task_id,
                "status": status,
                "account": account_id,
                "leased_by": leased_by,
                "fence": fence,
                "started": started_ms,
            },
        )


async def test_the_supervisor_sweeps_a_stranded_task_to_failure_with_event_and_callback(
    database_url: str, engine: AsyncEngine
) -> None:
    await _stranded_row(engine, "4300000000000001", overdue_s=3600)  # its account was deleted
    await _stranded_row(engine, "4300000000000002", overdue_s=-300)  # not due yet
    async with running_worker(database_url, engine):
        task = await wait_for(engine, "4300000000000001", {"FAILURE"}, 20)
    assert task.fail_reason == TIMEOUT_REASON and task.finish_time
    events = await events_of(engine, task.id)
    assert [e["seq"] for e in events] == [4]  # one event, after the row's own history
    assert events[0]["kind"] == "timeout" and "sweeper" in events[0]["data"]["detail"]
    [delivery] = await deliveries_of(engine, task.id)
    assert delivery["seq"] == 4 and json.loads(delivery["payload"])["status"] == "FAILURE"
    assert (await status_of(engine, "4300000000000002")).status == "RUNNING"


async def test_the_sweeper_keeps_out_of_a_live_runners_way(
    database_url: str, engine: AsyncEngine
) -> None:
    """Overdue tasks another party will end are left alone; a locked row is skipped, not awaited."""
    await add_account(engine, "acct-live")
    await add_account(engine, "acct-free")
    async with engine.begin() as conn:  # a live worker holds acct-live
        await conn.execute(
            text(
                "UPDATE accounts SET owner = 'live-worker', fence = 1,"
                " lease_expires_at = now() + interval '60 seconds' WHERE id = 'acct-live'"
            )
        )
    # Held under acct-live's live lease: its runner should have ended it -> swept.
    await _stranded_row(
        engine, "4400000000000001", overdue_s=120, account_id="acct-live",
        leased_by="live-worker", fence=1,
    )  # fmt: skip
    # acct-free is usable and unheld: the worker that claims it adopts and reconciles this task.
    await _stranded_row(
        engine, "4400000000000002", overdue_s=120, account_id="acct-free",
        leased_by="dead-worker", fence=7,
    )  # fmt: skip
    # ... unless nobody has for ABANDON_S past the deadline.
    await _stranded_row(
        engine, "4400000000000003", overdue_s=3600, account_id="acct-free",
        leased_by="dead-worker", fence=7,
    )  # fmt: skip
    # A runner is writing this one right now (row locked): skipped, not waited on.
    await _stranded_row(engine, "4400000000000004", overdue_s=120)

    sweeper = Sweeper(engine, "sweeping-worker", lease_ttl_s=5, open_reader=_no_reader)
    async with engine.connect() as runner_conn:
        await runner_conn.begin()
        await runner_conn.execute(
            text("SELECT 1 FROM tasks WHERE id = '4400000000000004' FOR UPDATE")
        )
        started = time.monotonic()
        first = await asyncio.wait_for(sweeper.expire_overdue(), 10)
        assert time.monotonic() - started < 5
        await runner_conn.execute(
            text(
                "UPDATE tasks SET status = 'SUCCESS', progress = 100 WHERE id = '4400000000000004'"
            )
        )
        await runner_conn.commit()
    second = await sweeper.expire_overdue()
    statuses = {
        task_id: (await status_of(engine, task_id)).status
        for task_id in (
            "4400000000000001",
            "4400000000000002",
            "4400000000000003",
            "4400000000000004",
        )
    }
    assert first == 2 and second == 0
    assert statuses == {
        "4400000000000001": "FAILURE",
        "4400000000000002": "RUNNING",
        "4400000000000003": "FAILURE",
        "4400000000000004": "SUCCESS",  # the runner's result stands
    }


def _no_reader(account: object) -> contextlib.AbstractAsyncContextManager:
    raise AssertionError("no hand-over expected here")


# ------------------------------------------------------------------------------ REST 401


async def test_a_token_refused_over_rest_disables_the_account_with_its_reason(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=2, speed="instant", seed=23) as sb:
        specs = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        bad, good = specs[0].id, specs[1].id
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE accounts SET token = 'revoked.token.value' WHERE id = :id"),
                {"id": bad},
            )
        grid = Task(id="4500000000000001", dialect="novicezk", action="IMAGINE", prompt="a dog")
        await taskstore.create_task(engine, grid)
        await finish(engine, grid.id, account=bad)
        pinned = Task(
            id="4500000000000002", dialect="novicezk", action="UPSCALE", parent_id=grid.id,
            account_id=bad, params={"index": 2}, prompt="a dog",
        )  # fmt: skip
        await taskstore.create_task(engine, pinned)
        async with running_worker(database_url, engine):
            deadline = time.monotonic() + 20
            while True:
                async with engine.connect() as conn:
                    account = await account_queries.get_account(conn, bad)
                assert account is not None
                if account["health"] == "disabled" or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            failed = await wait_for(engine, pinned.id, {"FAILURE"}, 10)
            async with engine.connect() as conn:
                other = await account_queries.get_account(conn, good)
    assert account["health"] == "disabled"
    assert "401" in (account["health_reason"] or ""), account["health_reason"]
    assert "refused the token" in account["health_reason"]
    assert "revoked" not in account["health_reason"]  # never the token
    assert failed.fail_reason is not None and f"account {bad}" in failed.fail_reason
    assert other is not None and other["health"] == "ok"
