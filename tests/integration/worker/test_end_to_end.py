"""The worker end to end: real Postgres, the sandbox over real sockets, tasks to SUCCESS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import Sandbox, start_sandbox
from app.taskstore import StoredFile
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.stack import running_worker, wait_for_status


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="instant", seed=1) as sb:
        yield sb


async def submit(engine: AsyncEngine, task_id: str, **fields: object) -> Task:
    task = Task(id=task_id, dialect="novicezk", action="IMAGINE", **fields)  # type: ignore[arg-type]
    return await taskstore.create_task(engine, task)


async def _imagined(engine: AsyncEngine, task_id: str, prompt: str) -> Task:
    """An imagine submitted and waited for: it must succeed."""
    await submit(engine, task_id, prompt=prompt)
    grid = await wait_for_status(engine, task_id, "SUCCESS", "FAILURE")
    assert grid.status == "SUCCESS", grid.fail_reason
    return grid


def _follow_up(task_id: str, parent: Task, action: str, **params: object) -> Task:
    """A follow-up of `parent` as the API would store it: same account and prompt."""
    return Task(
        id=task_id,
        dialect="novicezk",
        action=action,
        parent_id=parent.id,
        account_id=parent.account_id,
        prompt=parent.prompt,
        params=params,
    )


async def test_imagine_then_upscale_through_the_sandbox(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine):
        grid = await _imagined(engine, "1000000000000001", "a red fox in the snow")
        assert grid.image_url and grid.message_id and grid.message_hash
        assert grid.buttons, "the grid's buttons are kept for follow-ups"

        await taskstore.create_task(
            engine, _follow_up("1000000000000002", grid, "UPSCALE", index=2)
        )
        upscale = await wait_for_status(engine, "1000000000000002", "SUCCESS", "FAILURE")
    assert upscale.status == "SUCCESS", upscale.fail_reason
    assert upscale.account_id == grid.account_id
    assert upscale.image_url and upscale.image_url != grid.image_url
    nonces = [s.nonce for s in sandbox.submissions]
    assert len(nonces) == len(set(nonces))


def _mask_png() -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (16, 16, 48, 48))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _button_id(task: Task, fragment: str) -> str:
    """The custom_id of the task's button whose id contains `fragment`."""
    return next(
        c["custom_id"]
        for row in task.buttons
        for c in row["components"]
        if fragment in c.get("custom_id", "")
    )


async def test_modal_actions_custom_zoom_and_vary_region(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine):
        grid = await _imagined(engine, "1000000000000011", "an old stone bridge")
        upscale = _follow_up("1000000000000012", grid, "UPSCALE", index=1)
        await taskstore.create_task(engine, upscale)
        single = await wait_for_status(engine, upscale.id, "SUCCESS", "FAILURE")
        assert single.status == "SUCCESS", single.fail_reason

        zoom = _follow_up(
            "1000000000000013", single, "ZOOM_CUSTOM",
            customId=_button_id(single, "CustomZoom"), modalPrompt="an old stone bridge --zoom 1.8",
        )  # fmt: skip
        await taskstore.create_task(engine, zoom)
        region = _follow_up(
            "1000000000000014", single, "VARIATION_REGION",
            customId=_button_id(single, "Inpaint"), modalPrompt="a wooden bridge",
        )  # fmt: skip
        await taskstore.create_task(
            engine,
            region,
            files=[
                StoredFile(name="mask.png", role="mask", content_type="image/png", data=_mask_png())
            ],
        )
        zoomed = await wait_for_status(engine, zoom.id, "SUCCESS", "FAILURE")
        varied = await wait_for_status(engine, region.id, "SUCCESS", "FAILURE")
    assert zoomed.status == "SUCCESS", zoomed.fail_reason
    assert varied.status == "SUCCESS", varied.fail_reason
    assert zoomed.message_hash != varied.message_hash != single.message_hash
    # The editor is the bot's web page, not Discord's API: it never sees the account's token.
    (editor,) = [r for r in sandbox.editor_requests if r.status == 200]
    token = next(a.token for a in sandbox.accounts if a.channel_id == varied.account_id)
    assert "authorization" not in editor.headers, editor.headers
    assert not any(token in value for value in editor.headers.values())


def _png(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def test_blend_describe_and_pika_videos(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    inputs = [
        StoredFile(
            name=f"in{n}.png", role="input", content_type="image/png", data=_png(c), position=n
        )
        for n, c in enumerate([(200, 40, 40), (40, 40, 200)])
    ]
    async with running_worker(database_url, engine):
        await taskstore.create_task(
            engine,
            Task(id="1000000000000021", dialect="webman", action="BLEND",
                 params={"dimensions": "SQUARE"}),
            files=inputs,
        )  # fmt: skip
        await taskstore.create_task(
            engine,
            Task(id="1000000000000022", dialect="webman", action="DESCRIBE"),
            files=inputs[:1],
        )
        await taskstore.create_task(
            engine,
            Task(id="1000000000000023", dialect="discordxy", action="PIKA_CREATE", bot="pika",
                 prompt="waves on a beach"),
        )  # fmt: skip
        await taskstore.create_task(
            engine,
            Task(id="1000000000000024", dialect="discordxy", action="PIKA_ANIMATE", bot="pika",
                 prompt="make it move"),
            files=inputs[:1],
        )  # fmt: skip
        blend = await wait_for_status(engine, "1000000000000021", "SUCCESS", "FAILURE")
        described = await wait_for_status(engine, "1000000000000022", "SUCCESS", "FAILURE")
        created = await wait_for_status(engine, "1000000000000023", "SUCCESS", "FAILURE")
        animated = await wait_for_status(engine, "1000000000000024", "SUCCESS", "FAILURE")
    assert blend.status == "SUCCESS", blend.fail_reason
    assert blend.image_url and blend.buttons
    assert described.status == "SUCCESS", described.fail_reason
    assert len(described.properties["prompts"]) == 4
    for video in (created, animated):
        assert video.status == "SUCCESS", video.fail_reason
        assert video.video_url and video.video_url.split("?")[0].endswith(".mp4")
