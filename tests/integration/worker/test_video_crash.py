"""A crash, or a new gateway session, between a video's grid and its clips (issue 17).

The worker is killed -9 right after it pressed both clip buttons of a batch-2 video's grid. The
sandbox drops the first clip (never posted) and posts the second while nobody listens. The next
owner replays the channel, records the second clip from it and presses only the first again:
the video ends SUCCESS with both clips, and no clip is pressed more than once beyond the first
owner's presses. A reconnect that cannot resume, while both clips are posted, gets them from
the channel and presses nothing again. A grid dispatched twice presses each clip once. A grid
older than the last 100 channel messages still finds its clips: the new owner pages forward
from the grid. A video waiting for its clips on an account an operator disables gets the clips
the channel holds, or fails with the reason.
"""

from __future__ import annotations

import base64
import io
import signal
from collections import Counter

import httpx
import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.results import CLIP_URLS
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import accounts as account_queries
from tests.integration.sandbox.helpers import post_honouring_rate_limits
from tests.integration.worker.helpers import crash_worker, events_of, status_of, until
from tests.web import app_client

CLIP = "video_virtual_upscale"


def _start_image() -> str:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (90, 140, 200)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _presses(sb: Sandbox) -> Counter[str]:
    """Accepted clip presses by clip number."""
    return Counter(
        s.custom_id.split("::")[3]
        for s in sb.submissions.accepted()
        if s.custom_id and f"::{CLIP}::" in s.custom_id
    )


def _posted_clips(sb: Sandbox) -> int:
    channel = sb.accounts[0].channel_id
    return sum(
        1
        for m in sb.core.messages.history(channel, 100)
        if any(str(a.get("filename", "")).endswith(".mp4") for a in m.get("attachments", []))
    )


async def _submit_video(
    database_url: str, engine: AsyncEngine, sb: Sandbox, faults: str = "delay:1"
) -> str:
    await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
    async with app_client(database_url) as client:
        reply = await client.post(
            "/mj/submit/video",
            json={
                # The grid is held a moment, so the clip faults are armed in time.
                "prompt": f"a kite in the wind --sandbox-fault {faults}",
                "image": _start_image(),
                "batchSize": 2,
            },
        )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["result"])


async def _until_started(engine: AsyncEngine, task_id: str) -> None:
    async def started() -> bool:
        return (await status_of(engine, task_id)).status in ("SUBMITTED", "RUNNING")

    await until(started, "the bot to start the video")


async def _until_final(engine: AsyncEngine, task_id: str, what: str, wait_s: float = 30) -> None:
    async def final() -> bool:
        return (await status_of(engine, task_id)).status in ("SUCCESS", "FAILURE")

    await until(final, what, wait_s)


async def _until_posted(sb: Sandbox, count: int) -> None:
    async def posted() -> bool:
        return _posted_clips(sb) == count

    await until(posted, f"the sandbox to post {count} clips")


async def _until_pressed(sb: Sandbox, count: int) -> None:
    async def pressed() -> bool:
        return sum(_presses(sb).values()) == count

    await until(pressed, f"{count} clip presses")


@pytest.mark.timeout(90)
async def test_a_video_killed_after_its_grid_gets_every_clip_from_the_next_owner(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=17) as sb:
        task_id = await _submit_video(database_url, engine, sb)
        first = crash_worker(database_url, "worker-a")
        try:
            await _until_started(engine, task_id)
            # For the clip presses to come: the first is dropped, both are held a moment.
            sb.core.faults.arm("drop_final", None, 1)
            sb.core.faults.arm("delay", None, 2, seconds=2.0)

            await _until_pressed(sb, 2)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            at_crash = await status_of(engine, task_id)

            await _until_posted(sb, 1)
        finally:
            if first.poll() is None:
                first.kill()

        second = crash_worker(database_url, "worker-b")
        try:
            await _until_final(engine, task_id, "the new owner to finish the video")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        done = await status_of(engine, task_id)
        presses = _presses(sb)
        posted = _posted_clips(sb)

    assert at_crash.status == "RUNNING" and at_crash.progress == 99  # killed between grid and clips
    assert not at_crash.prop(CLIP_URLS)
    assert done.status == "SUCCESS", done.fail_reason
    assert sorted(done.prop(CLIP_URLS)) == ["1", "2"]
    assert done.video_url
    # The first owner pressed both; the new owner only the clip the channel did not hold.
    assert presses == Counter({"1": 2, "2": 1})
    assert posted == 2


@pytest.mark.timeout(90)
async def test_a_new_session_after_the_grid_records_the_clips_posted_in_the_gap(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=19) as sb:
        task_id = await _submit_video(database_url, engine, sb)
        worker = crash_worker(database_url, "worker-a")
        try:
            await _until_started(engine, task_id)
            sb.core.faults.arm("delay", None, 2, seconds=2.0)  # both clips come after the drop
            await _until_pressed(sb, 2)
            # Not resumable: the session is dropped, and the next IDENTIFYs are refused.
            await sb.inject_fault("identify_invalid", account=0, count=50)
            await sb.inject_fault("invalid_session", account=0, resumable=False)
            at_drop = await status_of(engine, task_id)

            await _until_posted(sb, 2)
            missed = await status_of(engine, task_id)
            await sb.inject_fault("clear", account=0)  # the next IDENTIFY gets a new session

            # The refused IDENTIFYs grew the gateway's reconnect backoff (capped at 30 s): the
            # new session may come that long after the fault is cleared.
            await _until_final(engine, task_id, "the clips after the new READY", wait_s=70)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
        done = await status_of(engine, task_id)
        presses = _presses(sb)

    assert (at_drop.status, at_drop.progress) == ("RUNNING", 99)
    assert not missed.prop(CLIP_URLS)  # both clips were posted while the worker was away
    assert done.status == "SUCCESS", done.fail_reason
    assert sorted(done.prop(CLIP_URLS)) == ["1", "2"]
    assert presses == Counter({"1": 1, "2": 1})  # its own presses were in flight: none again


@pytest.mark.timeout(60)
async def test_a_grid_dispatched_twice_presses_each_clip_once(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=23) as sb:
        task_id = await _submit_video(database_url, engine, sb, faults="duplicate")
        worker = crash_worker(database_url, "worker-a")
        try:
            await _until_final(engine, task_id, "the video to finish")
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
        done = await status_of(engine, task_id)
        presses = _presses(sb)

    assert done.status == "SUCCESS", done.fail_reason
    assert sorted(done.prop(CLIP_URLS)) == ["1", "2"]
    assert presses == Counter({"1": 1, "2": 1})


async def _chatter(sb: Sandbox, count: int) -> None:
    """`count` messages of the account's own in its channel: the grid and its clips sink below
    the most recent 100."""
    [account] = sb.accounts
    url = f"{sb.base_url}/api/v10/channels/{account.channel_id}/messages"
    async with httpx.AsyncClient(headers={"Authorization": account.token}) as client:
        for n in range(count):
            answer = await post_honouring_rate_limits(client, url, {"content": f"chatter {n}"})
            assert answer.status_code == 200, answer.text


@pytest.mark.timeout(120)
async def test_a_grid_older_than_the_last_100_messages_finds_its_clips_by_paging(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=29) as sb:
        task_id = await _submit_video(database_url, engine, sb)
        first = crash_worker(database_url, "worker-a")
        try:
            await _until_started(engine, task_id)
            sb.core.faults.arm("delay", None, 2, seconds=2.0)  # both clips after the kill
            await _until_pressed(sb, 2)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            await _until_posted(sb, 2)
        finally:
            if first.poll() is None:
                first.kill()
        await _chatter(sb, 120)  # 120 newer messages: the clips are not among the recent 100
        at_takeover = await status_of(engine, task_id)

        second = crash_worker(database_url, "worker-b")
        try:
            await _until_final(engine, task_id, "the new owner to finish the video")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        done = await status_of(engine, task_id)
        presses = _presses(sb)

    assert (at_takeover.status, at_takeover.progress) == ("RUNNING", 99)
    assert done.status == "SUCCESS", done.fail_reason
    assert sorted(done.prop(CLIP_URLS)) == ["1", "2"]
    # Found in the paged history, not pressed again (the recent 100 hold only the chatter).
    assert presses == Counter({"1": 1, "2": 1})


@pytest.mark.timeout(120)
async def test_an_operator_disabled_account_hands_over_a_video_with_the_clips_in_its_channel(
    database_url: str, engine: AsyncEngine
) -> None:
    """Decision (docs/worker.md): the hand-over presses nothing on a disabled account; a video
    waiting for its clips succeeds when every clip is in the channel, else it fails."""
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=31) as sb:
        task_id = await _submit_video(database_url, engine, sb)
        first = crash_worker(database_url, "worker-a")
        try:
            await _until_started(engine, task_id)
            sb.core.faults.arm("delay", None, 2, seconds=2.0)  # both clips after the kill
            await _until_pressed(sb, 2)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        async with engine.begin() as conn:
            await account_queries.set_enabled(conn, sb.accounts[0].channel_id, False)
        await _until_posted(sb, 2)

        second = crash_worker(database_url, "worker-b")
        try:
            await _until_final(engine, task_id, "the hand-over of the disabled account")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        done = await status_of(engine, task_id)
        events = await events_of(engine, task_id)
        presses = _presses(sb)

    assert done.status == "SUCCESS", done.fail_reason
    assert sorted(done.prop(CLIP_URLS)) == ["1", "2"]
    finished = [e for e in events if e["kind"] == "finished"]
    assert finished and finished[-1]["data"]["reconciled"] is True  # the hand-over's replay
    assert presses == Counter({"1": 1, "2": 1})  # nothing pressed on the disabled account
