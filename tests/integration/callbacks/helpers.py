"""Loopback receivers, a recording network seam and database helpers for callback tests."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import h11
import httpcore
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.callbacks.ssrf import Allowlist
from app.callbacks.transport import Resolver, system_resolver
from db import deliveries as db

LOOPBACK = Allowlist.parse(["127.0.0.0/8"])  # where the receivers listen: let callbacks reach them


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    stream_bytes: int = 0  # > 0: announce and trickle this many body bytes instead of `body`


Handler = Callable[[Received], Awaitable[Reply] | Reply]


class Receiver:
    """A tiny HTTP/1.1 server on a loopback address: one request per connection, then close."""

    def __init__(self, handler: Handler | None = None, host: str = "127.0.0.1") -> None:
        self.handler = handler or (lambda _r: Reply())
        self.host = host
        self.port = 0
        self.connections = 0
        self.requests: list[Received] = []
        self.bytes_written = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/hook") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            reply = self.handler(request)
            if not isinstance(reply, Reply):
                reply = await reply
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            await self._write(writer, reply)
        except (ConnectionError, asyncio.IncompleteReadError, h11.RemoteProtocolError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        length = reply.stream_bytes or len(reply.body)
        head = [f"HTTP/1.1 {reply.status} X", f"content-length: {length}", "connection: close"]
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        if not reply.stream_bytes:
            writer.write(reply.body)
            self.bytes_written += len(reply.body)
            await writer.drain()
            return
        chunk = b"x" * 65536
        while self.bytes_written < reply.stream_bytes:
            writer.write(chunk)
            self.bytes_written += len(chunk)
            await writer.drain()
            await asyncio.sleep(0.005)


async def _read_request(reader: asyncio.StreamReader) -> Received | None:
    conn = h11.Connection(h11.SERVER)
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return Received(
                method=request.method.decode(),
                target=request.target.decode(),
                headers={k.decode(): v.decode() for k, v in request.headers},
                body=bytes(body),
                at=time.monotonic(),
            )
        else:
            return None


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The network seam under the guard: records every dial and its socket bytes.

    Dials loopback addresses for real. Anything else is refused here (tests never leave the
    machine); a host *name* reaching this seam is resolved with `resolver`, as an OS would do in a
    second lookup, so a guard that passed names down would be caught dialling what they resolve to.
    """

    def __init__(self, resolver: Resolver | None = None) -> None:
        self.dials: list[str] = []
        self.bytes_read = 0
        self._resolver = resolver or system_resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout=None, local_address=None,  # noqa: ASYNC109
                          socket_options=None) -> httpcore.AsyncNetworkStream:  # fmt: skip
        self.dials.append(host)
        import ipaddress

        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = ipaddress.ip_address((await self._resolver(host, port))[0])
        if not address.is_loopback:
            raise httpcore.ConnectError(f"test seam: not dialling {address} off this machine")
        stream = await self._inner.connect_tcp(str(address), port, timeout, local_address)
        return _CountingStream(stream, self)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # noqa: ASYNC109
        raise AssertionError("unix socket dialled")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _CountingStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream, owner: RecordingBackend) -> None:
        self._stream = stream
        self._owner = owner

    async def read(self, max_bytes: int, timeout=None) -> bytes:  # noqa: ASYNC109
        data = await self._stream.read(max_bytes, timeout)
        self._owner.bytes_read += len(data)
        return data

    async def write(self, buffer: bytes, timeout=None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


async def add_task(engine: AsyncEngine, task_id: str, dialect: str = "novicezk") -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO tasks (id, dialect, action) VALUES (:id, :dialect, 'IMAGINE')"),
            {"id": task_id, "dialect": dialect},
        )


async def add_delivery(
    engine: AsyncEngine, task_id: str, url: str, payload: bytes | None = None, **kw: Any
) -> db.NewDelivery:
    body = payload if payload is not None else json.dumps({"id": task_id}).encode()
    async with engine.begin() as conn:
        row = await db.insert_delivery(
            conn, task_id=task_id, url=url, dialect="novicezk", payload=body, **kw
        )
        await db.notify_deliveries(conn)
    return row


async def delivery_rows(engine: AsyncEngine, where: str = "true", **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(f"SELECT * FROM deliveries WHERE {where} ORDER BY task_id, seq"), params
        )
        return list(result.mappings())


async def wait_until(
    check: Callable[[], Any], timeout_s: float = 10.0, every_s: float = 0.05
) -> None:
    """Poll `check` (sync, or returning an awaitable) until it is truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(every_s)


def attempts_of(row: Any) -> list[dict[str, Any]]:
    log = row["attempt_log"]
    return json.loads(log) if isinstance(log, str) else log
