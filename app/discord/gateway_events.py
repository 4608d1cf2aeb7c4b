"""Typed events of the gateway connection itself, produced by `gateway_protocol`/`gateway`.

`Ready`, `Resumed`, `Reconnecting` and `GatewayFatal` describe the connection; `Dispatch` carries
any other op-0 dispatch still raw, which `parse.parse_dispatch` turns into a bot event
(app/discord/events.py). Frozen dataclasses with keyword-only fields, like the bot events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Ready:
    session_id: str
    user_id: str
    resume_gateway_url: str | None
    username: str | None = None


@dataclass(frozen=True, kw_only=True)
class Resumed:
    session_id: str


@dataclass(frozen=True, kw_only=True)
class Dispatch:
    """Any other op-0 dispatch, still raw; `parse.parse_dispatch` turns it into a `BotEvent`."""

    type: str
    seq: int | None
    data: Any


@dataclass(frozen=True, kw_only=True)
class Reconnecting:
    """The socket is gone; the transport retries after `delay` (resuming when `resume`)."""

    close_code: int | None
    resume: bool
    delay: float
    attempt: int


@dataclass(frozen=True, kw_only=True)
class GatewayFatal:
    """The account cannot use the gateway (bad token, forbidden config); no retry follows."""

    close_code: int | None
    reason: str


GatewayEvent = Ready | Resumed | Dispatch | Reconnecting | GatewayFatal
