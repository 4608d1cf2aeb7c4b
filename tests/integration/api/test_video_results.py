"""A video's results as trueai shows them (issue 17), through the whole stack: every clip of
`videoUrls` has a `thumbnail` (its first frame, a WebP served by mjrelay), and the task carries
`videoDuration` / `frameCount` of its clips (measured by the worker before SUCCESS, so the
callback says the same) and `videoGenOriginImageUrl` (the image it started from)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import Sandbox, start_sandbox
from app.sandbox.video_media import FPS
from app.worker.sandbox_accounts import register_sandbox_accounts
from db.tables import deliveries
from tests.stack import running_worker
from tests.video import done, frames_of, mean_color, mp4, reply, start_image
from tests.web import app_client


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=3) as sb:
        yield sb


async def _callbacks(engine: AsyncEngine, task_id: str) -> list[bytes]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(deliveries.c.payload)
            .where(deliveries.c.task_id == task_id)
            .order_by(deliveries.c.seq)
        )
        return [bytes(p) for p in rows.scalars()]


async def test_trueai_video_json_has_posters_length_and_origin_image(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with (
        running_worker(database_url, engine),
        app_client(database_url, novicezk_trueai_fields=True) as client,
    ):
        submitted = reply(
            await client.post(
                "/mj/submit/video",
                json={
                    "prompt": "a paper boat",
                    "image": start_image(),
                    "batchSize": 2,
                    "notifyHook": "http://hooks.example/video",
                },
            )
        )
        video = await done(engine, submitted["result"])
        fetched = await client.get(f"/mj/task/{video.id}/fetch")
        shown = reply(fetched)
        clips = [await mp4(client, v["url"]) for v in shown["videoUrls"]]
        posters = [await client.get(httpx.URL(v["thumbnail"]).path) for v in shown["videoUrls"]]
        last_callback = (await _callbacks(engine, video.id))[-1]
    media = sandbox.core.midjourney.results[str(video.message_hash)].video
    assert media is not None
    assert len(clips) == 2 and all(p.status_code == 200 for p in posters)
    for clip, poster in zip(clips, posters, strict=True):
        assert poster.headers["content-type"] == "image/webp"
        with Image.open(io.BytesIO(poster.content)) as picture:
            first = frames_of(clip)[0]
            # The poster is the clip's first frame, made small.
            assert max(picture.size) <= 384
            shrunk = first.resize(picture.size)
            assert all(
                abs(a - b) < 24
                for a, b in zip(mean_color(picture), mean_color(shrunk), strict=True)
            )
    # One poster per clip (the sandbox's clips of one video share their first frame).
    assert len({v["thumbnail"] for v in shown["videoUrls"]}) == 2
    assert shown["frameCount"] == len(media.clips[0])
    assert shown["videoDuration"] == round(len(media.clips[0]) / FPS)
    # The start image as the bot echoes it (a data URL was posted to Discord first).
    origin = shown["videoGenOriginImageUrl"]
    assert origin and origin.startswith("https://") and origin in (video.final_prompt or "")
    assert last_callback == fetched.content  # measured before SUCCESS: the callback agrees


async def test_an_image_task_shows_the_video_fields_empty(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with (
        running_worker(database_url, engine),
        app_client(database_url, novicezk_trueai_fields=True) as client,
    ):
        imagine = reply(
            await client.post(
                "/mj/submit/imagine", json={"prompt": "a pear", "botType": "MID_JOURNEY"}
            )
        )
        image_task = await done(engine, imagine["result"])
        shown = reply(await client.get(f"/mj/task/{image_task.id}/fetch"))
    assert shown["videoUrls"] == []
    assert (shown["videoDuration"], shown["frameCount"], shown["videoGenOriginImageUrl"]) == (
        None,
        None,
        None,
    )
