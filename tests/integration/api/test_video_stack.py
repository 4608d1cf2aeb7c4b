"""Midjourney video through the whole stack (issue 17): trueai's `/mj/submit/video` in the
novicezk dialect, the app, the worker and the sandbox over real sockets, on real Postgres. A
video from an image (low motion, batch 4) gives a grid with an animated preview and four clips,
each a playable MP4 through the clip buttons; Extend (high motion) of a clip gives a longer
clip; `loop` and an end image reach the bot; turbo is refused; Animate on an upscale through
webman's `/image/action` ends with a clip's `videoUrl`."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.task import Task
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db.tables import accounts, deliveries, tasks
from tests.stack import running_worker
from tests.video import done, frames_of, mean_color, mp4, reply, solid_image, start_image
from tests.web import app_client

WEBMAN = {"mj-api-secret": "s3cret"}


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=7) as sb:
        yield sb


async def _press(client: httpx.AsyncClient, engine: AsyncEngine, task_id: str, part: str) -> Task:
    """Press the button of `task_id` whose custom id contains `part`, and wait for its result."""
    shown = reply(await client.get(f"/mj/task/{task_id}/fetch"))
    custom_id = next(b["customId"] for b in shown["buttons"] if part in b["customId"])
    body = {"taskId": task_id, "customId": custom_id, "notifyHook": "http://hooks.example/clip"}
    pressed = reply(await client.post("/mj/submit/action", json=body))
    assert pressed["code"] == 1, pressed
    return await done(engine, pressed["result"])


async def test_a_batch_of_four_gives_a_preview_and_four_playable_clips(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine), app_client(database_url) as client:
        submitted = reply(
            await client.post(
                "/mj/submit/video",
                json={
                    "prompt": "a kite in the wind",
                    "image": start_image(),
                    "motion": "low",
                    "batchSize": 4,
                    "notifyHook": "http://hooks.example/video",
                },
            )
        )
        assert submitted["code"] == 1, submitted
        grid = await done(engine, submitted["result"])
        fetched = await client.get(f"/mj/task/{grid.id}/fetch")
        shown = reply(fetched)
        poster = await client.get(httpx.URL(shown["imageUrl"]).path)
        own = [await mp4(client, v["url"]) for v in shown["videoUrls"]]
        clips = [
            await _press(client, engine, grid.id, f"video_virtual_upscale::{n}::")
            for n in (1, 2, 3, 4)
        ]
        shown_clips = [reply(await client.get(f"/mj/task/{c.id}/fetch")) for c in clips]
        movies = [await mp4(client, c["videoUrl"]) for c in shown_clips]
        clip_fetched = await client.get(f"/mj/task/{clips[0].id}/fetch")
        grid_page = await client.get(f"/dashboard/tasks/{grid.id}")
        panel = (await client.get(f"/dashboard/tasks/{clips[0].id}/panel")).text
        played = re.search(r'<video id="task-video" src="([^"]+)"', panel)
        assert played is not None, panel[:2000]
        await mp4(client, html.unescape(played.group(1)))  # the dashboard plays the clip
    # The video task itself fetched its four clips: SUCCESS with all of them.
    assert shown["videoUrl"] == shown["videoUrls"][0]["url"]
    assert len(own) == 4 and len(set(own)) == 4
    # Every clip is archived: mjrelay's own links, not the bot's (which expire).
    assert all(httpx.URL(v["url"]).path.startswith("/files/") for v in shown["videoUrls"])
    assert shown["action"] == "VIDEO" and "--video 1" in shown["properties"]["finalPrompt"]
    assert "--motion low" in shown["properties"]["finalPrompt"]
    assert poster.content[:4] == b"RIFF" and poster.content[8:12] == b"WEBP"  # the preview
    assert len(set(movies)) == 4
    assert all(c["videoUrls"] == [{"url": c["videoUrl"]}] for c in shown_clips)
    assert grid_page.status_code == 200
    # A video task's callback, and a clip's, is its fetch body.
    assert (await _last_callback(engine, grid.id)) == fetched.content
    assert (await _last_callback(engine, clips[0].id)) == clip_fetched.content


async def _last_callback(engine: AsyncEngine, task_id: str) -> bytes:
    async with engine.connect() as conn:
        payloads = list(
            (
                await conn.execute(
                    select(deliveries.c.payload)
                    .where(deliveries.c.task_id == task_id)
                    .order_by(deliveries.c.seq)
                )
            ).scalars()
        )
    return bytes(payloads[-1])


async def test_extend_of_a_clip_gives_a_longer_clip(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine), app_client(database_url) as client:
        submitted = reply(
            await client.post(
                "/mj/submit/video",
                json={"prompt": "waves", "image": start_image(), "batchSize": 1},
            )
        )
        grid = await done(engine, submitted["result"])
        extend_body = {"action": "extend", "taskId": grid.id, "index": 0, "motion": "high"}
        clip = await _press(client, engine, grid.id, "video_virtual_upscale::1::")
        # trueai's form names the video and the 0-based clip; a clip task's own id works too.
        extend = reply(await client.post("/mj/submit/video", json=extend_body))
        assert extend["code"] == 1, extend
        extended = await done(engine, extend["result"])
        again = reply(
            await client.post("/mj/submit/video", json={**extend_body, "taskId": clip.id})
        )
        assert again["code"] == 1, again
        assert (await done(engine, again["result"])).parent_id == clip.id
        longer = await _press(client, engine, extended.id, "video_virtual_upscale::1::")
        await mp4(client, reply(await client.get(f"/mj/task/{longer.id}/fetch"))["videoUrl"])
    assert extended.parent_id == grid.id  # pressed on the clip message the video fetched
    results = sandbox.core.midjourney.results
    assert extended.message_hash != grid.message_hash
    assert "::animate_high_extend::1::" in extended.params["customId"]
    first = results[str(grid.message_hash)].video
    second = results[str(extended.message_hash)].video
    assert first is not None and second is not None
    assert second.duration(0) > first.duration(0)


async def test_loop_and_an_end_image_reach_the_bot_and_bad_ones_are_refused(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine), app_client(database_url) as client:
        loop = reply(
            await client.post(
                "/mj/submit/video",
                json={"prompt": "a wheel", "image": start_image(), "loop": True, "batchSize": 1},
            )
        )
        end = reply(
            await client.post(
                "/mj/submit/video",
                json={
                    "prompt": "a door",
                    "image": start_image(),
                    "endImage": "https://images.example.com/end.png",
                    "batchSize": 2,
                },
            )
        )
        looped = await done(engine, loop["result"])
        ended = await done(engine, end["result"])
        refused = [
            reply(await client.post("/mj/submit/video", json={**body, "image": start_image()}))
            for body in (
                {"prompt": "a", "endImage": "http://images.example.com/end.png"},
                {"prompt": "a", "endImage": "https://127.0.0.1/end.png"},
                {"prompt": "a", "motion": "medium"},
                {"prompt": "a", "batchSize": 3},
            )
        ]
    assert "--end loop" in (looped.final_prompt or "")
    assert "--end https://images.example.com/end.png" in (ended.final_prompt or "") or (
        "--end <https://images.example.com/end.png>" in (ended.final_prompt or "")
    )
    assert (
        ended.buttons
        and sum(
            "video_virtual_upscale" in b.get("custom_id", "")
            for row in ended.buttons
            for b in row.get("components", [])
        )
        == 2
    )
    assert [r["code"] for r in refused] == [4, 4, 4, 4]
    assert "Invalid link" in refused[0]["description"]


async def test_an_end_frame_given_as_base64_is_uploaded_and_becomes_the_clips_last_frame(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    red = solid_image((230, 20, 20))
    async with running_worker(database_url, engine), app_client(database_url) as client:
        submitted = reply(
            await client.post(
                "/mj/submit/video",
                json={"prompt": "a door", "image": start_image(), "endImage": red, "batchSize": 1},
            )
        )
        assert submitted["code"] == 1, submitted
        video = await done(engine, submitted["result"])
        shown = reply(await client.get(f"/mj/task/{video.id}/fetch"))
        clip = await mp4(client, shown["videoUrl"])
    # The end frame went to Discord as an attachment of our channel, its CDN link after --end.
    end = re.search(r"--end <?(\S+?)>?(?:\s|$)", video.final_prompt or "")
    assert end is not None, video.final_prompt
    assert httpx.URL(end.group(1)).host == httpx.URL(sandbox.base_url).host
    assert [i["name"] for i in video.inputs] == ["input-0.png", "input-1.png"]
    # The sandbox crossfades into the end frame: the clip ends red (its caption aside).
    r, g, b = mean_color(frames_of(clip)[-1])
    assert r > 150 and g < 90 and b < 90, (r, g, b)


async def test_turbo_is_refused_with_the_bots_words(database_url: str, engine: AsyncEngine) -> None:
    async with app_client(database_url) as client:
        by_route = reply(
            await client.post(
                "/mj-turbo/mj/submit/video", json={"prompt": "a kite", "image": start_image()}
            )
        )
        by_flag = reply(
            await client.post(
                "/mj/submit/video", json={"prompt": "a kite --turbo", "image": start_image()}
            )
        )
    for refused in (by_route, by_flag):
        assert (
            refused["code"] == 4
            and "Turbo mode isn't supported for video jobs" in (refused["description"])
        )
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(tasks))).scalar() == 0


async def test_animate_an_upscale_through_webman_ends_with_a_video_url(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with (
        running_worker(database_url, engine),
        app_client(database_url, api_secret="s3cret") as client,
    ):
        imagine = reply(
            await client.post("/image/imagine", json={"prompt": "a lighthouse"}, headers=WEBMAN)
        )
        grid = await done(engine, imagine["taskId"])
        upscale = await _webman_press(client, engine, grid.id, "::upsample::1::")
        animated = await _webman_press(client, engine, upscale.id, "animate_low::")
        own = reply(await client.get("/task/fetch", params={"taskId": animated.id}, headers=WEBMAN))
        await mp4(client, own["data"]["videoUrl"])  # the Animate task's own first clip
        clip = await _webman_press(client, engine, animated.id, "video_virtual_upscale::2::")
        data = reply(await client.get("/task/fetch", params={"taskId": clip.id}, headers=WEBMAN))
        await mp4(client, data["data"]["videoUrl"])
    assert animated.action == "ANIMATE" and animated.image_url and animated.video_url
    assert own["data"]["status"] == data["data"]["status"] == "FINISHED"


async def _webman_press(
    client: httpx.AsyncClient, engine: AsyncEngine, task_id: str, part: str
) -> Task:
    shown = reply(await client.get("/task/fetch", params={"taskId": task_id}, headers=WEBMAN))
    custom_id = next(
        b["custom_id"]
        for row in shown["data"]["buttons"]
        for b in row
        if part in b.get("custom_id", "")
    )
    pressed = reply(
        await client.post(
            "/image/action", json={"taskId": task_id, "customId": custom_id}, headers=WEBMAN
        )
    )
    assert pressed["code"] == 0, pressed
    return await done(engine, pressed["taskId"])


async def test_a_video_on_a_turbo_account_runs_in_fast(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    [account] = sandbox.accounts
    sandbox.core.directory.states[account.user_id].mode = "turbo"
    async with engine.begin() as conn:
        await conn.execute(update(accounts).values(mode="turbo"))
    async with running_worker(database_url, engine), app_client(database_url) as client:
        imagine = reply(await client.post("/mj/submit/imagine", json={"prompt": "a kite"}))
        video = reply(
            await client.post("/mj/submit/video", json={"prompt": "a kite", "image": start_image()})
        )
        image_task = await done(engine, imagine["result"])
        video_task = await done(engine, video["result"])
    assert image_task.mode == "turbo"  # the account's default, for what may run in turbo
    assert video_task.mode == "fast"  # a video never: the bot would refuse it


async def test_extend_with_remix_on_answers_the_animate_form_with_the_prompt(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    [account] = sandbox.accounts
    sandbox.core.directory.states[account.user_id].remix = True
    async with running_worker(database_url, engine), app_client(database_url) as client:
        submitted = reply(
            await client.post(
                "/mj/submit/video", json={"prompt": "rain", "image": start_image(), "batchSize": 1}
            )
        )
        grid = await done(engine, submitted["result"])
        extend = reply(
            await client.post(
                "/mj/submit/video",
                json={
                    "action": "extend",
                    "taskId": grid.id,
                    "index": 0,
                    "motion": "low",
                    "prompt": "rain turning to snow",
                },
            )
        )
        assert extend["code"] == 1, extend
        extended = await done(engine, extend["result"])
    assert "rain turning to snow" in (extended.final_prompt or "")
    assert extended.video_url  # its own clip
    forms = [s for s in sandbox.submissions if s.type == 5]
    assert forms and all(s.accepted for s in forms)
