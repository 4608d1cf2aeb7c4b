"""What the product scenarios share: a migrated template database, processes, a loopback receiver.

- `migrated_template(ctx)`: a database at `alembic upgrade head`, made once per run; scenarios clone
  it with `ctx.database(prefix, template)`.
- `Receiver`: a small HTTP/1.1 server (keep-alive) on 127.0.0.1 that records when each request
  arrived (`time.monotonic()`, which is one clock for every process on a Linux machine) and the
  request's `x-mjrelay-task-id` / `x-mjrelay-sequence` headers. It answers `200 ok` at once.
- `Process`: a child process (`python -m …`) with its output in a log file, stopped by pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.harness import BenchContext, database_name
from db import migrations
from db.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
_TEMPLATES: dict[int, str] = {}


async def migrated_template(ctx: BenchContext) -> str:
    """Name of a database migrated to head on ctx's server (made on first use, kept for the run)."""
    key = id(ctx)
    if key not in _TEMPLATES:
        url = await ctx.create_database("mjrelay_tpl")
        engine = make_engine(url, pool_size=2)
        try:
            await migrations.upgrade(engine)
        finally:
            await engine.dispose()
        _TEMPLATES[key] = database_name(url)
    return _TEMPLATES[key]


async def drop_template(ctx: BenchContext) -> None:
    name = _TEMPLATES.pop(id(ctx), None)
    if name:
        await ctx.drop_database(name)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank on the sorted values; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def product_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a product process: ours minus any MJRELAY_* we did not choose."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJRELAY_")}
    env.pop("DATABASE_URL", None)
    env.update(DATABASE_URL=database_url, MJRELAY_LOG_LEVEL="warning", MJRELAY_LOG_FORMAT="json")
    env.update(settings)
    return env


@dataclass
class Process:
    """A child process started by the bench; only ever stopped through its own pid."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, *self.argv],
                cwd=ROOT,
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout_s`."""
        if not self.alive():
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while self.popen.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.kill9()


def python_module(
    name: str, module: str, args: Sequence[str], env: Mapping[str, str], logs: Path
) -> Process:
    return Process(name, ["-m", module, *args], env, logs / f"{name}.log").start()


async def wait_for_port(port: int, timeout_s: float = 20.0, process: Process | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if process is not None and not process.alive():
                raise RuntimeError(f"{process.name} exited; see {process.log_path}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on 127.0.0.1:{port}") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        return


async def wait_until_ready(port: int, process: Process, timeout_s: float = 60.0) -> None:
    """Until /readyz answers 200: a process (or a supervisor of several) may bind its port before
    it serves."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited; see its log")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} never became ready")
            await asyncio.sleep(0.2)


# -- the loopback receiver ---------------------------------------------------------------------

_REPLY = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


@dataclass
class Hit:
    task_id: str
    seq: int
    at: float
    webhook_id: str


@dataclass
class Receiver:
    """Loopback callback receiver; `on_hit` runs for each request as it arrives."""

    on_hit: Callable[[Hit], None] | None = None
    hits: list[Hit] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> Receiver:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Http(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, headers: dict[str, str], at: float) -> None:
        hit = Hit(
            headers.get("x-mjrelay-task-id", ""),
            int(headers.get("x-mjrelay-sequence", "0") or 0),
            at,
            headers.get("webhook-id", ""),
        )
        self.hits.append(hit)
        if self.on_hit is not None:
            self.on_hit(hit)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)


class _Http(asyncio.Protocol):
    """HTTP/1.1 with Content-Length bodies and keep-alive: all a callback sender needs."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.receiver.record(headers, time.monotonic())
            assert self.transport is not None
            self.transport.write(_REPLY)
            if headers.get("connection", "").lower() == "close":
                self.transport.close()
                return


def log_dir(scenario: str) -> Path:
    """Where a scenario's child processes write their logs (kept after the run for post-mortems)."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix=f"mjrelay-bench-{scenario}-"))


async def admin_sql(url: str, *statements: str) -> None:
    """Run statements on the database at `url` (schema for a baseline)."""
    import asyncpg

    from db.urls import asyncpg_dsn

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()
