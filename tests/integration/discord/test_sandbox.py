"""The Discord client against the sandbox over real sockets: the issue's "done when" list."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.discord import commands
from app.discord.correlation import Correlator
from app.discord.custom_ids import ButtonAction, find_button, parse_custom_id
from app.discord.errors import Unauthorized
from app.discord.events import (
    InteractionCreated,
    InteractionSucceeded,
    JobFinished,
    JobProgress,
    JobStarted,
)
from app.discord.gateway import GatewayClient
from app.discord.gateway_events import (
    Dispatch,
    GatewayEvent,
    GatewayFatal,
    Ready,
    Reconnecting,
    Resumed,
)
from app.discord.rest import DiscordRest
from tests.integration.discord.helpers import press, send_imagine

pytest.importorskip("app.sandbox")
pytestmark = pytest.mark.timeout(60)


def _correlated(corr: Correlator, key: str) -> Callable[[Any], bool]:
    """A predicate that feeds every event to `corr` and matches `key`'s final result."""

    def predicate(event: Any) -> bool:
        return corr.observe(event) == key and isinstance(event, JobFinished)

    return predicate


async def test_connect_and_ready(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    account = sandbox.accounts[0]
    async with session_factory(sandbox) as session:
        log = event_log(session)
        ready = await log.ready()
        assert ready.user_id == account.user_id
        assert session.session_id == ready.session_id and len(ready.session_id) >= 16
        assert session.context().session_id == ready.session_id


async def _imagine(session: Any, log: Any, prompt: str) -> tuple[str, JobFinished]:
    corr = Correlator()
    nonce = await send_imagine(session, corr, "imagine", prompt)
    return nonce, await log.until(_correlated(corr, "imagine"))


async def test_imagine_then_upscale(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    async with session_factory(sandbox) as session:
        log = event_log(session)
        await log.ready()
        prompt = "a red fox in a snowy forest --ar 3:2"
        nonce, grid = await _imagine(session, log, prompt)

        kinds = [type(e) for e in log.events]
        assert kinds.index(InteractionCreated) < kinds.index(InteractionSucceeded)
        started = [e for e in log.events if isinstance(e, JobStarted)]
        progress = [e for e in log.events if isinstance(e, JobProgress)]
        assert started and started[0].meta.nonce == nonce
        assert progress, "the sandbox sends progress updates"
        assert kinds.index(JobStarted) < kinds.index(JobProgress) < kinds.index(JobFinished)
        assert [p.percent for p in progress] == sorted(p.percent for p in progress)
        assert all(p.meta.message_id == started[0].meta.message_id for p in progress)
        assert grid.job_hash and all(
            parse_custom_id(b.custom_id).job_hash == grid.job_hash
            for b in grid.buttons
            if b.custom_id
        )
        assert grid.prompt and grid.prompt.startswith("a red fox in a snowy forest")
        assert grid.meta.interaction_id == started[0].meta.interaction_id

        async with httpx.AsyncClient() as http:  # the CDN serves the grid image
            image = await http.get(grid.image_url)
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")

        u1 = find_button(grid.buttons, ButtonAction.UPSCALE, 1)
        assert u1 is not None and u1.custom_id
        corr = Correlator()
        hints = {"parent_message_id": grid.meta.message_id, "index": 1}
        await press(session, corr, "u1", grid, u1.custom_id, **hints)
        upscaled = await log.until(_correlated(corr, "u1"))
        assert upscaled.index == 1
        assert upscaled.meta.reference_message_id == grid.meta.message_id
        assert upscaled.job_hash and upscaled.job_hash != grid.job_hash
        assert find_button(upscaled.buttons, ButtonAction.VARY_STRONG) is not None


async def test_resume_after_dropped_socket_loses_no_dispatch(sandbox: Any) -> None:
    """The socket dies right after the start message; the rest of the job comes by replay."""
    account = sandbox.accounts[0]
    events: list[GatewayEvent] = []
    resumed_seqs: list[int] = []

    async def on_event(event: GatewayEvent) -> None:
        events.append(event)
        if isinstance(event, Resumed):
            resumed_seqs.append(gateway.protocol.seq or 0)

    async with DiscordRest(account.token, api_base=sandbox.base_url + "/api/v9") as rest:
        gateway = GatewayClient(
            account.token, url=await rest.get_gateway_url(), on_event=on_event, backoff_base=0.05
        )
        task = asyncio.create_task(gateway.run())
        await _wait(lambda: any(isinstance(e, Ready) for e in events))
        await sandbox.inject_fault("disconnect_mid_job", account=0, code=4000)
        index = await rest.get_command_index(guild_id=account.guild_id)
        ctx = commands.InteractionContext(
            channel_id=account.channel_id, guild_id=account.guild_id, session_id=gateway.session_id
        )
        await rest.send_interaction(commands.imagine(ctx, index.get("imagine"), "a fox", "1"))
        await _wait(lambda: any(isinstance(e, Resumed) for e in events))
        await _wait(lambda: any(_is_final(e) for e in events))
        await gateway.close()
        await task

    reconnects = [e for e in events if isinstance(e, Reconnecting)]
    assert len(reconnects) == 1 and reconnects[0].resume and reconnects[0].close_code == 4000
    assert sum(isinstance(e, Ready) for e in events) == 1  # resumed, not re-identified
    seqs = [e.seq for e in events if isinstance(e, Dispatch)]
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs)
    # READY is s=1 and RESUMED takes a number too; everything else arrived exactly once.
    assert set(seqs) | {1} | set(resumed_seqs) == set(range(1, max(seqs + resumed_seqs) + 1))
    kinds = [e.type for e in events if isinstance(e, Dispatch)]
    assert "MESSAGE_CREATE" in kinds and "MESSAGE_UPDATE" in kinds


def _is_final(event: Any) -> bool:
    if not isinstance(event, Dispatch) or event.type != "MESSAGE_CREATE":
        return False
    return bool(event.data.get("attachments")) and bool(event.data.get("components"))


async def _wait(predicate: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_bad_token_is_fatal_without_retry(sandbox: Any) -> None:
    events: list[GatewayEvent] = []

    async def on_event(event: GatewayEvent) -> None:
        events.append(event)

    gateway = GatewayClient(
        "not-a-valid-token", url=sandbox.gateway_url, on_event=on_event, backoff_base=0.05
    )
    result = await asyncio.wait_for(gateway.run(), 10)
    assert isinstance(result, GatewayFatal) and result.close_code == 4004
    assert gateway.connections == 1 and events == [result]


async def test_ban_mid_session_is_fatal(
    sandbox: Any, session_factory: Callable[..., Any], event_log: Any
) -> None:
    async with session_factory(sandbox) as session:
        log = event_log(session)
        await log.ready()
        await sandbox.inject_fault("ban", account=0)
        fatal = await log.until(lambda e: isinstance(e, GatewayFatal))
        assert fatal.close_code == 4004 and session.fatal == fatal
        with pytest.raises(Unauthorized):
            await session.command_index()
    with pytest.raises(Unauthorized):  # the token is checked over REST before the gateway
        async with session_factory(sandbox):
            pass


async def test_rate_limit_is_honoured(sandbox: Any) -> None:
    account = sandbox.accounts[0]
    await sandbox.inject_fault("rate_limit", account=0, count=2, retry_after=0.3)
    async with DiscordRest(account.token, api_base=sandbox.base_url + "/api/v9") as rest:
        started = time.monotonic()
        index = await rest.get_command_index(guild_id=account.guild_id)
        elapsed = time.monotonic() - started
    assert index.get("imagine").name == "imagine"
    assert elapsed >= 0.55  # two 429s of 0.3 s each were waited out, not hammered
    statuses = []
    async with httpx.AsyncClient() as http:  # the sandbox is again free for this account
        statuses.append(
            (
                await http.get(
                    sandbox.base_url
                    + f"/api/v9/guilds/{account.guild_id}/application-command-index",
                    headers={"Authorization": account.token},
                )
            ).status_code
        )
    assert statuses == [200]
