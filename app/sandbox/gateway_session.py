"""One gateway session (id, seq, replay buffer) and one websocket connection (ordered writer)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from app.sandbox.accounts import AccountState

Json = dict[str, Any]


@dataclass(eq=False)
class Close:
    code: int
    reason: str = ""


@dataclass(eq=False)
class GatewaySession:
    session_id: str
    state: AccountState
    seq: int = 0
    buffer: deque[Json] = field(default_factory=lambda: deque(maxlen=5000))
    connection: Connection | None = None
    detached_at: float | None = None
    valid: bool = True

    @property
    def user_id(self) -> str:
        return self.state.account.user_id

    def frame(self, event: str, data: Json) -> Json:
        self.seq += 1
        frame = {"op": 0, "s": self.seq, "t": event, "d": data}
        self.buffer.append(frame)
        return frame


class Connection:
    """One websocket: an outbound queue drained by a writer task, in order."""

    def __init__(self, websocket: WebSocket, compress: bool) -> None:
        self.websocket = websocket
        self.compress = compress
        self._deflate = zlib.compressobj() if compress else None
        self.queue: asyncio.Queue[Json | Close] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.server_close: Close | None = None
        self.last_heartbeat = time.monotonic()
        self.withheld_acks = 0

    def send(self, frame: Json) -> None:
        if self.server_close is None:
            self.queue.put_nowait(frame)

    def close(self, code: int, reason: str = "") -> None:
        if self.server_close is None:
            self.server_close = Close(code, reason)
            self.queue.put_nowait(self.server_close)

    async def write_loop(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, Close):
                with contextlib.suppress(Exception):
                    await self.websocket.close(item.code, item.reason)
                return
            text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
            if self._deflate is not None:  # zlib-stream: one deflate context per connection
                payload = self._deflate.compress(text.encode()) + self._deflate.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await self.websocket.send_bytes(payload)
            else:
                await self.websocket.send_text(text)
