"""A session whose reader fell behind hands over only the newest progress of each message; a
message of another channel is dropped before it is parsed."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from app.discord import session as session_module
from app.discord.events import JobProgress, JobStarted
from app.discord.gateway_events import Dispatch
from app.discord.session import DiscordSession


def _progress(frame: dict[str, Any], percent: int, message_id: str) -> Dispatch:
    data = copy.deepcopy(frame["d"])
    data["id"] = message_id
    data["content"] = data["content"].replace("(31%)", f"({percent}%)")
    return Dispatch(type=frame["t"], seq=None, data=data)


async def _drain(session: DiscordSession, n: int) -> list[Any]:
    seen: list[Any] = []
    async for event in session.events():
        seen.append(event)
        if len(seen) == n:
            break
    return seen


def test_stale_progress_of_a_message_is_skipped_but_others_are_kept(
    spec_fixture: Callable[..., Any],
) -> None:
    progress = spec_fixture("mj-progress.message_update.json")
    start = spec_fixture("mj-start.message_create.json")
    channel = progress["d"]["channel_id"]
    author = progress["d"]["author"]["id"]

    async def scenario() -> list[Any]:
        session = DiscordSession("token", channel_id=channel, bot_ids=[author])
        await session._on_gateway_event(Dispatch(type=start["t"], seq=None, data=start["d"]))
        for percent in (15, 46, 78):
            await session._on_gateway_event(_progress(progress, percent, "m-a"))
        await session._on_gateway_event(_progress(progress, 20, "m-b"))
        seen = await asyncio.wait_for(_drain(session, 3), 5)
        # read in time (nothing newer queued): each progress is handed over
        await session._on_gateway_event(_progress(progress, 90, "m-a"))
        seen += await asyncio.wait_for(_drain(session, 1), 5)
        return seen

    seen = asyncio.run(scenario())
    assert isinstance(seen[0], JobStarted)
    assert [(e.meta.message_id, e.percent) for e in seen[1:] if isinstance(e, JobProgress)] == [
        ("m-a", 78),
        ("m-b", 20),
        ("m-a", 90),
    ]


def test_another_channels_message_is_dropped_unparsed(
    spec_fixture: Callable[..., Any], monkeypatch: Any
) -> None:
    start = spec_fixture("mj-start.message_create.json")
    channel = start["d"]["channel_id"]
    author = start["d"]["author"]["id"]
    parsed: list[str] = []
    real_parse = session_module.parse_dispatch

    def counting_parse(event_type: str, data: Any, **kwargs: Any) -> Any:
        parsed.append(str(data.get("channel_id")))
        return real_parse(event_type, data, **kwargs)

    monkeypatch.setattr(session_module, "parse_dispatch", counting_parse)
    elsewhere = {**copy.deepcopy(start["d"]), "channel_id": "999" + channel}

    async def scenario() -> list[Any]:
        session = DiscordSession("token", channel_id=channel, bot_ids=[author])
        for data in (elsewhere, start["d"]):
            await session._on_gateway_event(Dispatch(type=start["t"], seq=None, data=data))
        return await asyncio.wait_for(_drain(session, 1), 5)

    [seen] = asyncio.run(scenario())
    assert isinstance(seen, JobStarted) and seen.meta.channel_id == channel
    assert parsed == [channel]  # the other channel's message never reached the parser
