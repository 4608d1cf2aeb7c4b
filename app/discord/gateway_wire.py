"""The gateway's wire facts, pure: its URL, zlib-stream framing, the frames a user client sends
(IDENTIFY, RESUME, heartbeat), what a close code means and how long to wait before reconnecting
(spec §1.1–§1.3, §1.5, §1.6). `gateway_protocol` is the state machine that decides when.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.discord.constants import GATEWAY_VERSION

ZLIB_SUFFIX = b"\x00\x00\xff\xff"


class CloseAction(enum.StrEnum):
    RESUME = "resume"
    IDENTIFY = "identify"
    FATAL = "fatal"


# Spec §1.6 / fixtures/close-codes.json; codes not listed resume with backoff.
CLOSE_CODE_ACTIONS: dict[int, CloseAction] = {
    1000: CloseAction.IDENTIFY,
    1001: CloseAction.IDENTIFY,
    4003: CloseAction.IDENTIFY,
    4004: CloseAction.FATAL,
    4005: CloseAction.IDENTIFY,
    4007: CloseAction.IDENTIFY,
    4009: CloseAction.IDENTIFY,
    4010: CloseAction.FATAL,
    4011: CloseAction.FATAL,
    4012: CloseAction.FATAL,
    4013: CloseAction.FATAL,
    4014: CloseAction.FATAL,
    4015: CloseAction.FATAL,
    4016: CloseAction.FATAL,
}
FATAL_REASONS = {
    4004: "authentication failed (bad or revoked token)",
    4010: "invalid shard",
    4011: "sharding required",
    4012: "invalid API version",
    4013: "invalid intents",
    4014: "disallowed intents",
    4015: "too many user sessions",
    4016: "connection request cancelled",
}


def classify_close(code: int | None) -> CloseAction:
    """What a close code means for the session; no code (TCP drop, 1006) resumes."""
    return (
        CLOSE_CODE_ACTIONS.get(code, CloseAction.RESUME)
        if code is not None
        else (CloseAction.RESUME)
    )


def backoff_delay(attempt: int, jitter: float, *, base: float = 1.0, cap: float = 30.0) -> float:
    """Reconnect delay: base·2^(attempt-1) within ±20 % jitter (`jitter` ∈ [0, 1)), ≤ cap."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return min(cap, ceiling * (0.8 + 0.4 * jitter))


def gateway_url(base: str, *, compress: bool = False) -> str:
    """`base` (with or without `/`, port or query) plus `v=9&encoding=json[&compress=…]`."""
    parts = urlsplit(base.strip())
    query = dict(parse_qsl(parts.query))
    query.update({"v": str(GATEWAY_VERSION), "encoding": "json"})
    if compress:
        query["compress"] = "zlib-stream"
    else:
        query.pop("compress", None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


class ZlibStream:
    """One inflate context per connection; a message ends with 00 00 ff ff (spec §1.1)."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj()
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> str | None:
        self._buffer.extend(chunk)
        if not self._buffer.endswith(ZLIB_SUFFIX):
            return None
        data = self._inflater.decompress(bytes(self._buffer))
        self._buffer.clear()
        return data.decode("utf-8")


def heartbeat_frame(seq: int | None) -> dict[str, Any]:
    """Op 1 with the last dispatch sequence seen (null before the first)."""
    return {"op": 1, "d": seq}


def identify_frame(token: str, capabilities: int, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Op 2 as the Discord client sends it for a user token (spec §1.3)."""
    return {
        "op": 2,
        "d": {
            "token": token,
            "capabilities": capabilities,
            "properties": dict(properties),
            "presence": {"status": "online", "since": 0, "activities": [], "afk": False},
            "compress": False,
            "client_state": {
                "guild_versions": {},
                "highest_last_message_id": "0",
                "read_state_version": 0,
                "user_guild_settings_version": -1,
                "user_settings_version": -1,
                "private_channels_version": "0",
                "api_code_version": 0,
            },
        },
    }


def resume_frame(token: str, session_id: str | None, seq: int | None) -> dict[str, Any]:
    """Op 6: pick the session up where `seq` left it (spec §1.5)."""
    return {"op": 6, "d": {"token": token, "session_id": session_id, "seq": seq}}
