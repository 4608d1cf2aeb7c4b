"""Discord gateway transport (websockets): a thin loop around `GatewayProtocol`.

It opens sockets, feeds frames and deadlines to the protocol, writes what the protocol wants
written, and hands gateway events (`Ready`, `Resumed`, `Dispatch`, `Reconnecting`,
`GatewayFatal`) to an async callback. Dropped sockets are reopened and resumed after the
protocol's backoff; a fatal close (4004 bad token …) ends `run()` and sets `fatal` — no retry.

The callback is awaited inline, so it must be quick (put on a queue): a slow consumer delays
heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.discord.gateway_events import GatewayEvent, GatewayFatal, Reconnecting
from app.discord.gateway_protocol import CloseConnection, GatewayProtocol, SendFrame, State
from app.discord.properties import ClientProperties

log = logging.getLogger(__name__)

EventCallback = Callable[[GatewayEvent], Awaitable[None]]
DEFAULT_OPEN_TIMEOUT = 20.0


class GatewayClient:
    def __init__(
        self,
        token: str,
        *,
        url: str,
        on_event: EventCallback,
        properties: ClientProperties | None = None,
        compress: bool = False,
        rand: Callable[[], float] = random.random,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        open_timeout: float = DEFAULT_OPEN_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._properties = properties or ClientProperties()
        self.protocol = GatewayProtocol(
            token,
            properties=self._properties,
            compress=compress,
            rand=rand,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
        )
        self.url = url
        self._on_event = on_event
        self._open_timeout = open_timeout
        self._clock = clock
        self._closing = asyncio.Event()
        self._ws: ClientConnection | None = None
        self.fatal: GatewayFatal | None = None
        self.connections = 0  # sockets opened so far (tests and metrics)

    def __repr__(self) -> str:  # never show the token
        return f"<GatewayClient {self.url} {self.protocol.state.value}>"

    @property
    def session_id(self) -> str | None:
        return self.protocol.session_id

    @property
    def connected(self) -> bool:
        return self.protocol.state is State.CONNECTED

    async def run(self) -> GatewayFatal | None:
        """Connect and stay connected until `close()` or a fatal close code."""
        while not self._closing.is_set():
            code = await self._connection()
            if self._closing.is_set():
                break
            decision = self.protocol.connection_closed(code, self._clock())
            await self._on_event(decision)
            if isinstance(decision, GatewayFatal):
                self.fatal = decision
                log.warning("gateway fatal: close %s (%s)", decision.close_code, decision.reason)
                return decision
            await self._pause(decision)
        return None

    async def close(self) -> None:
        """Stop for good: close with 1000 (ends the session) and make `run()` return."""
        self._closing.set()
        ws = self._ws
        if ws is not None:
            frame = self.protocol.shutdown()
            await ws.close(frame.code, frame.reason)

    async def _pause(self, decision: Reconnecting) -> None:
        log.info(
            "gateway reconnect #%d in %.1fs (close %s, resume=%s)",
            decision.attempt,
            decision.delay,
            decision.close_code,
            decision.resume,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), decision.delay)

    async def _connection(self) -> int | None:
        """One socket's life; returns its close code (None when it never opened or just died)."""
        url = self.protocol.connect_url(self.url)
        try:
            async with connect(
                url,
                compression=None,  # the gateway does not negotiate permessage-deflate
                user_agent_header=self._properties.user_agent,
                origin=None,
                additional_headers={
                    "Accept-Language": "en-US,en;q=0.9",
                    "Cache-Control": "no-cache",
                    "Pragma": "no-cache",
                },
                open_timeout=self._open_timeout,
                ping_interval=None,  # liveness is the gateway heartbeat's job
                max_size=None,  # user READY payloads can be several MB
                close_timeout=5,
            ) as ws:
                self._ws = ws
                self.connections += 1
                self.protocol.connection_opened(self._clock())
                return await self._pump(ws)
        except ConnectionClosed as exc:
            return _close_code(exc)
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            log.info("gateway connect failed: %s", type(exc).__name__)
            return None
        finally:
            self._ws = None

    async def _pump(self, ws: ClientConnection) -> int | None:
        while True:
            deadline = self.protocol.next_deadline()
            timeout = None if deadline is None else max(deadline - self._clock(), 0.0)
            try:
                async with asyncio.timeout(timeout):
                    message = await ws.recv()
            except TimeoutError:
                actions: list[Any] = self.protocol.tick(self._clock())
            except ConnectionClosed as exc:
                return _close_code(exc)
            else:
                actions = self.protocol.receive(message, self._clock())
            for action in actions:
                if isinstance(action, SendFrame):
                    await ws.send(json.dumps(action.payload, separators=(",", ":")))
                elif isinstance(action, CloseConnection):
                    log.info("gateway closing: %s", action.reason)
                    await ws.close(action.code, action.reason)
                    return action.code
                else:
                    await self._on_event(action)


def _close_code(exc: ConnectionClosed) -> int | None:
    if exc.rcvd is not None:
        return exc.rcvd.code
    if exc.sent is not None:
        return exc.sent.code
    return None  # no close frame at all: an abnormal drop, resumable
