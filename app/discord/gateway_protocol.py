"""Sans-IO Discord gateway state machine for one user account (spec §1).

Theory of operation
-------------------
The transport opens a socket to `connect_url()` and calls `connection_opened(now)`. Every frame
it reads goes to `receive(message, now)`; when nothing arrives before `next_deadline()` it calls
`tick(now)`. Both return a list of actions: `SendFrame` (write it), `CloseConnection` (close the
socket with that code) and gateway events (`Ready`, `Resumed`, `Dispatch`) for the consumer.
When the socket ends, `connection_closed(code, now)` says what to do next: `Reconnecting` (sleep
`delay`, open a new socket — RESUME when `resume`) or `GatewayFatal` (stop; the account is
unusable). Time is always passed in, so tests drive it with a fake clock.

    state            input                      → next state   output
    DISCONNECTED     connection_opened            AWAIT_HELLO   —
    AWAIT_HELLO      op 10 HELLO                  IDENTIFYING   IDENTIFY (no session)
                                                  RESUMING      RESUME (session + seq)
    IDENTIFYING      READY                        CONNECTED     Ready
    RESUMING         replayed dispatches          RESUMING      Dispatch …
    RESUMING         RESUMED                      CONNECTED     Resumed
    any open         op 11 ACK                    same          —
    any open         op 1 (server asks)           same          heartbeat
    any open         op 7 RECONNECT               same          close 4000 (then resume)
    any open         op 9 INVALID_SESSION d       same          close 4000 (d ? resume : identify)
    any open         tick: heartbeat due, ACKed   same          heartbeat
    any open         tick: heartbeat due, no ACK  same          close 4000 (zombie; then resume)
    AWAIT_HELLO      tick: no HELLO in time       same          close 4000
    open             connection_closed(code)      DISCONNECTED  Reconnecting(resume?, delay)
                                                  FATAL         GatewayFatal (4004, 4010–4016)
"""

from __future__ import annotations

import enum
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.discord.gateway_events import Dispatch, GatewayFatal, Ready, Reconnecting, Resumed
from app.discord.gateway_wire import (
    FATAL_REASONS,
    CloseAction,
    ZlibStream,
    backoff_delay,
    classify_close,
    gateway_url,
    heartbeat_frame,
    identify_frame,
    resume_frame,
)
from app.discord.properties import DEFAULT_CAPABILITIES, ClientProperties
from app.domain import json_codec

DEFAULT_HELLO_TIMEOUT = 20.0
RESUME_CLOSE_CODE = 4000  # any non-1000/1001 code keeps the session resumable
MAX_HEARTBEAT_MS = 3_600_000  # Discord sends ~41 s; anything past an hour is not a real HELLO


class State(enum.Enum):
    DISCONNECTED = "disconnected"
    AWAIT_HELLO = "await_hello"
    IDENTIFYING = "identifying"
    RESUMING = "resuming"
    CONNECTED = "connected"
    FATAL = "fatal"


@dataclass(frozen=True)
class SendFrame:
    payload: dict[str, Any]


@dataclass(frozen=True)
class CloseConnection:
    code: int
    reason: str


Action = SendFrame | CloseConnection | Ready | Resumed | Dispatch


class GatewayProtocol:
    def __init__(
        self,
        token: str,
        *,
        properties: ClientProperties | None = None,
        capabilities: int = DEFAULT_CAPABILITIES,
        compress: bool = False,
        rand: Callable[[], float] = random.random,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        hello_timeout: float = DEFAULT_HELLO_TIMEOUT,
    ) -> None:
        self._token = token
        self._properties = properties or ClientProperties()
        self._capabilities = capabilities
        self.compress = compress
        self._rand = rand
        self._backoff = (backoff_base, backoff_cap)
        self._hello_timeout = hello_timeout
        self.state = State.DISCONNECTED
        self.session_id: str | None = None
        self.seq: int | None = None
        self.resume_gateway_url: str | None = None
        self.user_id: str | None = None
        self.heartbeat_interval: float | None = None
        self.attempt = 0
        self.last_latency: float | None = None
        self._reset_socket_state(0.0)

    def __repr__(self) -> str:  # never show the token
        return f"<GatewayProtocol state={self.state.value} session={self.session_id}>"

    # ------------------------------------------------------------------ socket lifecycle

    @property
    def can_resume(self) -> bool:
        return self.session_id is not None and self.seq is not None

    def connect_url(self, default_url: str) -> str:
        """Where to open the next socket: the READY resume URL when resuming, else `default_url`."""
        base = self.resume_gateway_url if self.can_resume and self.resume_gateway_url else None
        return gateway_url(base or default_url, compress=self.compress)

    def connection_opened(self, now: float) -> None:
        if self.state is State.FATAL:
            raise RuntimeError("gateway is fatal; open no more connections")
        self._reset_socket_state(now)
        self.state = State.AWAIT_HELLO

    def connection_closed(self, code: int | None, now: float) -> Reconnecting | GatewayFatal:
        # A fatal code from the server wins over a close we had asked for ourselves.
        action = classify_close(code)
        if action is not CloseAction.FATAL and self._pending_close is not None:
            action = self._pending_close
        self._reset_socket_state(now)
        if action is CloseAction.FATAL:
            self.state = State.FATAL
            reason = FATAL_REASONS.get(code or 0, "non-resumable close code")
            return GatewayFatal(close_code=code, reason=reason)
        if action is CloseAction.IDENTIFY:
            self._forget_session()
        self.state = State.DISCONNECTED
        self.attempt += 1
        delay = backoff_delay(
            self.attempt, self._rand(), base=self._backoff[0], cap=self._backoff[1]
        )
        return Reconnecting(
            close_code=code, resume=self.can_resume, delay=delay, attempt=self.attempt
        )

    def _reset_socket_state(self, now: float) -> None:
        self._inflater = ZlibStream()
        self._pending_close: CloseAction | None = None
        self._hello_deadline = now + self._hello_timeout
        self._next_heartbeat: float | None = None
        self._acked = True
        self._heartbeat_sent_at: float | None = None

    def _forget_session(self) -> None:
        self.session_id = None
        self.seq = None
        self.resume_gateway_url = None

    # ------------------------------------------------------------------ input

    def receive(self, message: str | bytes, now: float) -> list[Action]:
        """One websocket message (text, or zlib-stream binary chunk)."""
        if self.state in (State.DISCONNECTED, State.FATAL) or self._pending_close:
            return []
        try:
            text = self._decode(message)
            if text is None:
                return []
            payload = json_codec.loads(text)
        except (ValueError, RecursionError, zlib.error, UnicodeDecodeError):
            # RecursionError: JSON nested deeper than Python's stack, still just a bad frame.
            return self._close(CloseAction.RESUME, "undecodable frame")
        if not isinstance(payload, dict):
            return self._close(CloseAction.RESUME, "frame is not an object")
        return self.receive_payload(payload, now)

    def receive_payload(self, payload: dict[str, Any], now: float) -> list[Action]:
        op = payload.get("op")
        if op == 0:
            return self._dispatch(payload)
        if op == 10:
            return self._hello(payload.get("d"), now)
        if op == 11:
            self._acked = True
            if self._heartbeat_sent_at is not None:
                self.last_latency = now - self._heartbeat_sent_at
            return []
        if op == 1:
            return [SendFrame(heartbeat_frame(self.seq))]
        if op == 7:
            return self._close(CloseAction.RESUME, "server requested reconnect")
        if op == 9:
            resumable = payload.get("d") is True
            if not resumable:
                self._forget_session()
            return self._close(
                CloseAction.RESUME if resumable else CloseAction.IDENTIFY, "invalid session"
            )
        return []

    def tick(self, now: float) -> list[Action]:
        """Time-driven work: heartbeats, zombie detection, HELLO timeout."""
        if self.state in (State.DISCONNECTED, State.FATAL) or self._pending_close:
            return []
        if self.state is State.AWAIT_HELLO and now >= self._hello_deadline:
            return self._close(CloseAction.RESUME, "no HELLO from gateway")
        if self._next_heartbeat is None or now < self._next_heartbeat:
            return []
        if not self._acked:
            return self._close(CloseAction.RESUME, "heartbeat ACK missed (zombie connection)")
        assert self.heartbeat_interval is not None
        self._next_heartbeat = max(self._next_heartbeat + self.heartbeat_interval, now)
        self._acked = False
        self._heartbeat_sent_at = now
        return [SendFrame(heartbeat_frame(self.seq))]

    def next_deadline(self) -> float | None:
        if self.state in (State.DISCONNECTED, State.FATAL) or self._pending_close:
            return None
        if self.state is State.AWAIT_HELLO:
            return self._hello_deadline
        return self._next_heartbeat

    def shutdown(self) -> CloseConnection:
        """Close for good: 1000 ends the session on Discord's side too."""
        self._pending_close = CloseAction.IDENTIFY
        self._forget_session()
        return CloseConnection(1000, "client shutdown")

    # ------------------------------------------------------------------ handlers

    def _decode(self, message: str | bytes) -> str | None:
        if isinstance(message, str):
            return message
        if self.compress:
            return self._inflater.feed(message)
        return message.decode("utf-8")

    def _hello(self, data: Any, now: float) -> list[Action]:
        if self.state is not State.AWAIT_HELLO:
            return []
        interval_ms = data.get("heartbeat_interval") if isinstance(data, dict) else None
        # NaN, infinity or a huge number would schedule no heartbeat ever (or one per tick).
        if not isinstance(interval_ms, (int, float)) or not 0 < interval_ms <= MAX_HEARTBEAT_MS:
            return self._close(CloseAction.RESUME, "HELLO without heartbeat_interval")
        self.heartbeat_interval = interval_ms / 1000
        self._next_heartbeat = now + self.heartbeat_interval * self._rand()
        self._acked = True
        if self.can_resume:
            self.state = State.RESUMING
            return [SendFrame(resume_frame(self._token, self.session_id, self.seq))]
        self.state = State.IDENTIFYING
        return [
            SendFrame(identify_frame(self._token, self._capabilities, self._properties.as_dict()))
        ]

    def _dispatch(self, payload: dict[str, Any]) -> list[Action]:
        seq, event_type, data = payload.get("s"), payload.get("t"), payload.get("d")
        if isinstance(seq, int):
            self.seq = seq
        if event_type == "READY" and isinstance(data, dict):
            return self._ready(data)
        if event_type == "RESUMED":
            self.state = State.CONNECTED
            self.attempt = 0
            return [Resumed(session_id=self.session_id or "")]
        return [
            Dispatch(type=str(event_type), seq=seq if isinstance(seq, int) else None, data=data)
        ]

    def _ready(self, data: dict[str, Any]) -> list[Action]:
        raw_user = data.get("user")
        user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
        session_id = data.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            return self._close(CloseAction.IDENTIFY, "READY without session_id")
        self.session_id = session_id
        resume_url = data.get("resume_gateway_url")
        self.resume_gateway_url = resume_url if isinstance(resume_url, str) else None
        self.user_id = str(user.get("id")) if user.get("id") is not None else None
        self.state = State.CONNECTED
        self.attempt = 0
        return [
            Ready(
                session_id=session_id,
                user_id=self.user_id or "",
                resume_gateway_url=self.resume_gateway_url,
                username=user.get("username") if isinstance(user.get("username"), str) else None,
            )
        ]

    def _close(self, action: CloseAction, reason: str) -> list[Action]:
        self._pending_close = action
        return [CloseConnection(RESUME_CLOSE_CODE, reason)]
