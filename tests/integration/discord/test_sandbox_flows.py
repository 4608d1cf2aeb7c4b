"""More client flows against the sandbox: uploads + describe, modals, Pika, bot errors, zlib."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from app.discord import commands
from app.discord.correlation import Correlator
from app.discord.custom_ids import ButtonAction, find_button
from app.discord.events import (
    AccountError,
    AccountErrorKind,
    Described,
    JobFinished,
    JobProgress,
    JobStarted,
    ModalOpened,
    TaskError,
    TaskErrorKind,
)
from app.discord.rest import UploadFile
from tests.integration.discord.helpers import new_nonce, press, send_imagine

pytest.importorskip("app.sandbox")
pytestmark = pytest.mark.timeout(60)
PIKA_NAME = "create"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 20)).save(buffer, format="PNG")
    return buffer.getvalue()


def _for(corr: Correlator, key: str, *types: type) -> Callable[[Any], bool]:
    def predicate(event: Any) -> bool:
        return corr.observe(event) == key and isinstance(event, types)

    return predicate


async def test_upload_then_describe(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    async with session_factory(sandbox) as session:
        log = event_log(session)
        await log.ready()
        uploaded = await session.rest.upload_attachments(
            session.channel_id, [UploadFile("fox.png", _png(), "image/png")]
        )
        assert uploaded[0].filename == "fox.png" and uploaded[0].uploaded_filename
        index = await session.command_index()
        nonce = new_nonce()
        corr = Correlator()
        corr.track("d", nonce=nonce, now=time.time())
        await session.send(
            commands.describe(session.context(), index.get("describe"), nonce, image=uploaded[0])
        )
        described = await log.until(_for(corr, "d", Described, TaskError))
        assert isinstance(described, Described), described
        assert len(described.prompts) == 4 and all(described.prompts)
        assert find_button(described.buttons, ButtonAction.PICREADER, 1) is not None


async def test_custom_zoom_modal_flow(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    async with session_factory(sandbox) as session:
        log = event_log(session)
        await log.ready()
        corr = Correlator()
        await send_imagine(session, corr, "grid", "a lighthouse")
        grid = await log.until(_for(corr, "grid", JobFinished))
        u2 = find_button(grid.buttons, ButtonAction.UPSCALE, 2)
        assert u2 is not None and u2.custom_id
        hints = {"parent_message_id": grid.meta.message_id, "index": 2}
        await press(session, corr, "u2", grid, u2.custom_id, **hints)
        upscale = await log.until(_for(corr, "u2", JobFinished))
        zoom = find_button(upscale.buttons, ButtonAction.CUSTOM_ZOOM)
        assert zoom is not None and zoom.custom_id

        await press(session, corr, "zoom", upscale, zoom.custom_id)
        modal = await log.until(_for(corr, "zoom", ModalOpened))
        assert modal.fields and modal.fields[0].custom_id.endswith("::prompt")
        nonce = new_nonce()
        corr.track("zoom", nonce=nonce, now=time.time())
        await session.send(
            commands.submit_modal(
                session.context(),
                modal_id=modal.interaction_id,
                custom_id=modal.custom_id,
                fields={modal.fields[0].custom_id: "a lighthouse --zoom 1.8"},
                nonce=nonce,
                application_id=modal.application_id or "936929561302675456",
            )
        )
        zoomed = await log.until(_for(corr, "zoom", JobFinished, TaskError))
        assert isinstance(zoomed, JobFinished), zoomed
        assert zoomed.job_hash and zoomed.job_hash not in (grid.job_hash, upscale.job_hash)


async def test_pika_create_video(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    async with session_factory(sandbox) as session:
        log = event_log(session)
        await log.ready()
        index = await session.command_index()
        create = index.find(PIKA_NAME, application_id=None)
        assert create is not None and create.application_id != "936929561302675456"
        nonce = new_nonce()
        corr = Correlator()
        corr.track("v", nonce=nonce, now=time.time(), prompt="a horse running")
        await session.send(
            commands.pika_create(session.context(), create, "a horse running -motion 2", nonce)
        )
        video = await log.until(_for(corr, "v", JobFinished, TaskError), within=30)
        assert isinstance(video, JobFinished), video
        assert video.video_url and video.image_url is None and video.job_hash
        assert video.prompt is not None and video.prompt.startswith("a horse running")
        seen = [type(e) for e in log.events if corr.observe(e) == "v"]
        assert JobStarted in seen and JobProgress in seen


@pytest.mark.parametrize(
    ("error", "etype", "kind"),
    [
        pytest.param("banned_prompt", TaskError, TaskErrorKind.BANNED_PROMPT, id="banned"),
        pytest.param("invalid_parameter", TaskError, TaskErrorKind.INVALID_PARAMETER, id="param"),
        pytest.param("queue_full", TaskError, TaskErrorKind.QUEUE_FULL, id="queue-full"),
        pytest.param("failed", TaskError, TaskErrorKind.COMMAND_FAILED, id="failed"),
        pytest.param("pending_mod", AccountError, AccountErrorKind.PENDING_MODERATION, id="mod"),
        pytest.param("blocked", AccountError, AccountErrorKind.BANNED, id="blocked"),
        pytest.param(
            "credits_exhausted", AccountError, AccountErrorKind.OUT_OF_CREDITS, id="credits"
        ),
        pytest.param("captcha", AccountError, AccountErrorKind.CAPTCHA, id="captcha"),
    ],
)
async def test_bot_errors_are_classified(
    sandbox: Any,
    session_factory: Callable[..., Any],
    event_log: Any,
    error: str,
    etype: type,
    kind: Any,
) -> None:
    await sandbox.inject_fault("error", account=0, error=error)
    async with session_factory(sandbox) as session:
        log = event_log(session)
        await log.ready()
        corr = Correlator()
        await send_imagine(session, corr, "t", "a cat")
        event = await log.until(_for(corr, "t", TaskError, AccountError, JobFinished))
        assert type(event) is etype and event.kind is kind, event


async def test_zlib_stream_session(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    async with session_factory(sandbox, compress=True) as session:
        log = event_log(session)
        await log.ready()
        corr = Correlator()
        await send_imagine(session, corr, "z", "a boat")
        assert isinstance(await log.until(_for(corr, "z", JobFinished)), JobFinished)
