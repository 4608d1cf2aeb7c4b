"""The account-failure policy, once for every cause: what becomes of an unusable account's work."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.worker.health import CLIPS_PINNED, take_out_of_service
from db import accounts as account_queries
from tests.integration.api.conftest import add_account
from tests.integration.worker.helpers import events_of, status_of

ACCOUNT = "1235017845969518595"
NOW_MS = 1_700_000_000_000


async def _task(
    engine: AsyncEngine, task_id: str, status: str, *, parent_id: str | None = None
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status, prompt, account_id, parent_id,"
                " leased_by, fence, nonce, start_time)"
                " VALUES (:id, 'novicezk', :action, :status, 'a cat', :account, :parent,"
                " :leased_by, :fence, :nonce, :started)"
            ),
            {
                "id": task_id,
                "action": "UPSCALE" if parent_id else "IMAGINE",
                "status": status,
                "account": ACCOUNT,
                "parent": parent_id,
                "leased_by": None if status == "PENDING" else "w",
                "fence": None if status == "PENDING" else 1,
                "nonce": None if status == "PENDING" else f"13000000000000{task_id[-5:]}",
                "started": None if status == "PENDING" else NOW_MS - 1000,
            },
        )


async def test_an_unusable_account_requeues_its_jobs_and_fails_its_follow_ups(
    engine: AsyncEngine,
) -> None:
    await add_account(engine, ACCOUNT)
    await _task(engine, "4400000000000001", "SUCCESS")  # the parent of the follow-ups
    await _task(engine, "4400000000000002", "PENDING")  # queued on the account
    await _task(engine, "4400000000000003", "RUNNING")  # a job the bot was drawing
    await _task(engine, "4400000000000004", "SUBMITTED", parent_id="4400000000000001")
    await _task(engine, "4400000000000005", "PENDING", parent_id="4400000000000001")

    async with engine.begin() as conn:
        await take_out_of_service(conn, ACCOUNT, "captcha", NOW_MS)

    async with engine.connect() as conn:
        account = await account_queries.get_account(conn, ACCOUNT)
    assert account is not None
    assert (account["health"], account["health_reason"]) == ("disabled", "captcha")
    queued = await status_of(engine, "4400000000000002")
    assert (queued.status, queued.account_id) == ("PENDING", None)  # for any healthy account
    job = await status_of(engine, "4400000000000003")
    assert (job.status, job.account_id, job.nonce) == ("PENDING", None, None)
    assert [e["kind"] for e in await events_of(engine, job.id)] == ["requeued"]
    in_flight = await status_of(engine, "4400000000000004")
    assert (in_flight.status, in_flight.fail_reason) == ("FAILURE", "account unusable: captcha")
    pinned = await status_of(engine, "4400000000000005")
    assert pinned.status == "FAILURE" and pinned.fail_reason is not None
    assert pinned.fail_reason.startswith(f"account {ACCOUNT} is unusable: captcha; a follow-up")
    assert (await status_of(engine, "4400000000000001")).status == "SUCCESS"


async def test_an_unusable_account_fails_a_video_waiting_for_its_clips(
    engine: AsyncEngine,
) -> None:
    """Decision: its grid is made and only this account can press the clip buttons on it; run
    again elsewhere it would be a second (paid) video. A video still before its grid is an
    ordinary job: back to the queue."""
    await add_account(engine, ACCOUNT)
    await _task(engine, "4400000000000011", "RUNNING")
    await _task(engine, "4400000000000012", "RUNNING")
    grid = [
        {
            "type": 1,
            "components": [{"type": 2, "custom_id": "MJ::JOB::video_virtual_upscale::1::h"}],
        }
    ]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tasks SET action = 'ANIMATE', message_id = '5001', progress = 99,"
                " buttons = CAST(:buttons AS jsonb), properties = CAST(:props AS jsonb)"
                " WHERE id = '4400000000000011'"
            ),
            {
                "buttons": json.dumps(grid),
                "props": json.dumps({"videoClips": 1, "videoClipUrls": {}}),
            },
        )
        await conn.execute(
            text("UPDATE tasks SET action = 'ANIMATE' WHERE id = '4400000000000012'")
        )
        await take_out_of_service(conn, ACCOUNT, "captcha", NOW_MS)

    waiting = await status_of(engine, "4400000000000011")
    assert waiting.status == "FAILURE" and waiting.fail_reason is not None
    assert waiting.fail_reason == f"account unusable: captcha; {CLIPS_PINNED}"
    before_grid = await status_of(engine, "4400000000000012")
    assert (before_grid.status, before_grid.account_id) == ("PENDING", None)
