"""The gateway: websocket sessions with HELLO/heartbeat, IDENTIFY/READY, RESUME and replay.

Each IDENTIFY makes a `GatewaySession` (id, seq counter, buffer of sent dispatches). Dispatches
are addressed to users; every live session of the user gets them with its own `s`. A session
whose socket dropped (or was closed with a resumable code) keeps buffering for `resume_window`
seconds, so RESUME on a new socket replays what was missed and then sends RESUMED.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from app.sandbox.accounts import AccountState
from app.sandbox.faults import Faults
from app.sandbox.gateway_ready import ready, ready_supplemental
from app.sandbox.gateway_session import (
    Connection,
    GatewaySession,
    dispatch_tail,
    dispatch_text,
    encode,
)

log = logging.getLogger("mjrelay.sandbox.gateway")

Json = dict[str, Any]
DEFAULT_HEARTBEAT_INTERVAL_MS = 41250
# Server-initiated closes after which the session may be resumed (others drop it).
RESUMABLE_CLOSE_CODES = {4000, 4001, 4002, 4008}
CLIENT_INVALIDATING_CLOSE_CODES = {1000, 1001}
IGNORED_OPS = {3, 4, 8, 13, 14, 36, 37}  # presence, voice, member requests, lazy guilds...


class Gateway:
    def __init__(
        self,
        authenticate: Callable[[str], AccountState | None],
        faults: Faults,
        heartbeat_interval_ms: int = DEFAULT_HEARTBEAT_INTERVAL_MS,
        resume_window: float = 180.0,
    ) -> None:
        self._authenticate = authenticate
        self._faults = faults
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.resume_window = resume_window
        self.public_url = ""
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[Connection] = set()

    # -- addressing -------------------------------------------------------------------------

    def dispatch(
        self, event: str, data: Json, user_ids: Iterable[str], session_id: str | None = None
    ) -> None:
        """Send a dispatch to every live session of these users (or to one preferred session)."""
        audience = set(user_ids)
        targets = [s for s in self._live_sessions() if s.user_id in audience]
        preferred = [s for s in targets if s.session_id == session_id]
        tail: str | None = None  # encoded once: a guild's message goes to all its members
        for session in preferred or targets:
            frame = session.frame(event, data)
            if session.connection is not None:
                tail = dispatch_tail(event, encode(data)) if tail is None else tail
                session.connection.send(frame, dispatch_text(frame["s"], tail))

    def _live_sessions(self) -> list[GatewaySession]:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            expired = session.detached_at is not None and now - session.detached_at > (
                self.resume_window
            )
            if expired or not session.valid:
                self.sessions.pop(session.session_id, None)
        return list(self.sessions.values())

    def connections_of(self, user_id: str) -> list[Connection]:
        return [c for c in self.connections if c.session and c.session.user_id == user_id]

    def close_user(self, user_id: str, code: int, reason: str = "") -> int:
        connections = self.connections_of(user_id)
        for connection in connections:
            self._close(connection, code, reason)
        return len(connections)

    def send_op(self, user_id: str, op: int, data: Any) -> int:
        connections = self.connections_of(user_id)
        for connection in connections:
            connection.send({"op": op, "d": data})
        return len(connections)

    def invalidate_user(self, user_id: str) -> None:
        for session in self.sessions.values():
            if session.user_id == user_id:
                session.valid = False

    def _close(self, connection: Connection, code: int, reason: str = "") -> None:
        if connection.session is not None and code not in RESUMABLE_CLOSE_CODES:
            connection.session.valid = False
        connection.close(code, reason)

    async def shutdown(self) -> None:
        for connection in list(self.connections):
            connection.close(1001, "sandbox stopping")

    # -- one socket -------------------------------------------------------------------------

    async def endpoint(self, websocket: WebSocket) -> None:
        compress = websocket.query_params.get("compress") == "zlib-stream"
        await websocket.accept()
        connection = Connection(websocket, compress)
        self.connections.add(connection)
        writer = asyncio.create_task(connection.write_loop())
        hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ['["sandbox",{}]']}
        connection.send({"op": 10, "d": hello, "s": None, "t": None})
        close_code: int | None = None
        try:
            close_code = await self._read_loop(connection)
        finally:
            self.connections.discard(connection)
            self._detach(connection, close_code)
            if connection.server_close is None:
                writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 2.0)

    def _detach(self, connection: Connection, client_code: int | None) -> None:
        session = connection.session
        if session is None or session.connection is not connection:
            return
        session.connection = None
        session.detached_at = time.monotonic()
        if client_code in CLIENT_INVALIDATING_CLOSE_CODES and connection.server_close is None:
            session.valid = False

    async def _read_loop(self, connection: Connection) -> int | None:
        """Handle frames until the socket closes; returns the client's close code, if any."""
        interval = self.heartbeat_interval_ms / 1000
        timeout = interval * 1.5 + min(5.0, interval)  # Discord-like slack for late heartbeats
        while True:
            try:
                message = await asyncio.wait_for(connection.websocket.receive(), timeout)
            except TimeoutError:
                self._close(connection, 4009, "Session timed out")  # no heartbeat: zombie
                continue
            except WebSocketDisconnect as exc:
                return exc.code
            if message["type"] == "websocket.disconnect":
                return int(message.get("code") or 1005)
            if connection.server_close is not None:
                continue  # closing: ignore late frames, wait for the disconnect
            raw = message.get("text") or message.get("bytes") or b""
            try:
                frame = json.loads(raw)
                op = frame["op"]
            except (ValueError, TypeError, KeyError):
                self._close(connection, 4002, "Error while decoding payload.")
                continue
            self._handle(connection, op, frame.get("d"))

    def _handle(self, connection: Connection, op: Any, data: Any) -> None:
        if op == 1:
            connection.last_heartbeat = time.monotonic()
            if connection.session and self._faults.take("withhold_ack", connection.session.user_id):
                return
            connection.send({"op": 11, "d": None})
        elif op == 2:
            self._identify(connection, data if isinstance(data, dict) else {})
        elif op == 6:
            self._resume(connection, data if isinstance(data, dict) else {})
        elif connection.session is None:
            self._close(connection, 4003, "Not authenticated.")
        elif op not in IGNORED_OPS:
            self._close(connection, 4001, "Unknown opcode.")

    def _authenticated(self, connection: Connection, data: Json) -> AccountState | None:
        """The account an IDENTIFY or RESUME names, or None after closing the socket."""
        if connection.session is not None:
            self._close(connection, 4005, "Already authenticated.")
            return None
        state = self._authenticate(str(data.get("token", "")))
        if state is None or state.banned:
            self._close(connection, 4004, "Authentication failed.")
            return None
        return state

    def _identify(self, connection: Connection, data: Json) -> None:
        state = self._authenticated(connection, data)
        if state is None:
            return
        if self._faults.take("identify_invalid", state.account.user_id):
            connection.send({"op": 9, "d": False})
            return
        session = GatewaySession(secrets.token_hex(16), state, connection=connection)
        self.sessions[session.session_id] = session
        connection.session = session
        connection.send(session.frame("READY", ready(session, self.public_url)))
        connection.send(session.frame("READY_SUPPLEMENTAL", ready_supplemental(session)))

    def _resume(self, connection: Connection, data: Json) -> None:
        state = self._authenticated(connection, data)
        if state is None:
            return
        self._live_sessions()  # drop expired sessions first
        session = self.sessions.get(str(data.get("session_id", "")))
        seq = data.get("seq")
        seq = seq if isinstance(seq, int) else 0
        replay = self._replay(session, seq) if session is not None else None
        if (
            session is None
            or session.user_id != state.account.user_id
            or replay is None
            or self._faults.take("resume_fail", state.account.user_id)
        ):
            connection.send({"op": 9, "d": False})
            return
        if session.connection is not None:  # the old socket is still open: it loses
            session.connection.session = None
            session.connection.close(4000, "Session resumed elsewhere.")
        session.connection, session.detached_at = connection, None
        connection.session = session
        for frame in replay:
            connection.send(frame)
        connection.send(session.frame("RESUMED", {"_trace": ['["sandbox",{}]']}))

    @staticmethod
    def _replay(session: GatewaySession, seq: int) -> list[Json] | None:
        """Dispatches after `seq`, or None when the buffer no longer reaches back that far."""
        if seq > session.seq:
            return None
        missed = [frame for frame in session.buffer if frame["s"] > seq]
        if missed and missed[0]["s"] != seq + 1:
            return None
        return missed
