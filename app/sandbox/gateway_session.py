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


@dataclass(frozen=True)
class Encoded:
    """A frame already in JSON."""

    text: str


def encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dispatch_tail(event: str, data_json: str) -> str:
    """What follows the seq in a dispatch (`,"t":event,"d":data}`): built once per dispatch."""
    return f',"t":{encode(event)},"d":{data_json}}}'


def dispatch_text(seq: int, tail: str) -> str:
    """`{"op":0,"s":seq,"t":event,"d":data}`, the same tail for every session it goes to."""
    return f'{{"op":0,"s":{seq}{tail}'


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
        self.queue: asyncio.Queue[Json | Encoded | Close] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.server_close: Close | None = None
        self.last_heartbeat = time.monotonic()
        self.withheld_acks = 0

    def send(self, frame: Json, text: str | None = None) -> None:
        """Queue `frame`; `text` is its JSON when the caller already has it (a dispatch)."""
        if self.server_close is None:
            self.queue.put_nowait(frame if text is None else Encoded(text))

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
            text = item.text if isinstance(item, Encoded) else encode(item)
            if self._deflate is not None:  # zlib-stream: one deflate context per connection
                payload = self._deflate.compress(text.encode()) + self._deflate.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await self.websocket.send_bytes(payload)
            else:
                await self.websocket.send_text(text)
