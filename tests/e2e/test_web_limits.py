"""Limits before work, on the real web process: big unauthenticated or oversize bodies are
refused from their headers, before the body is read (issue 12, part 3).

A raw socket client sends the headers, then streams the body while it waits for the answer, so
the test measures when the server answered (not when a client library finished sending), and
holds one shared 1 MiB chunk instead of the bodies themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil
import pytest

from tests.e2e.processes import MJRELAY, clean_env, free_port, wait_ready

SECRET = "s3cret-limits"
MIB = 1024 * 1024
BODY = 60 * MIB
CHUNK = b'{"prompt":"' + b"a" * (MIB - 11)


@dataclass
class Answer:
    status: int
    seconds: float  # from the first byte sent to the status line received
    sent: int  # body bytes the client got to send before the answer


async def _status_line(sock: socket.socket) -> bytes:
    loop, received = asyncio.get_running_loop(), b""
    while b"\r\n" not in received:
        data = await loop.sock_recv(sock, 4096)
        if not data:
            raise ConnectionError(f"closed without an answer: {received!r}")
        received += data
    return received.split(b"\r\n", 1)[0]


async def _post(
    port: int, path: str, headers: dict[str, str], *, declare_length: bool, size: int = BODY
) -> Answer:
    """POST `size` bytes, answer read while sending (the kernel keeps an answer that arrived
    before the server closed, so it is read even when sending fails)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append(f"Content-Length: {size}" if declare_length else "Transfer-Encoding: chunked")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    started = time.monotonic()
    await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = asyncio.create_task(_status_line(sock))
    sent = 0

    async def send_body() -> None:
        nonlocal sent
        with contextlib.suppress(ConnectionError):
            while sent < size and not answer.done():
                chunk = CHUNK if declare_length else b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
                await loop.sock_sendall(sock, chunk)
                sent += len(CHUNK)
            if not declare_length and not answer.done():
                await loop.sock_sendall(sock, b"0\r\n\r\n")

    sender = asyncio.create_task(send_body())
    try:
        status_line = await asyncio.wait_for(answer, timeout=60)
        seconds = time.monotonic() - started
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        sock.close()
    return Answer(int(status_line.split()[1]), seconds, sent)


class PeakRss:
    """The highest resident size of a process, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def web(database_url: str) -> Iterator[tuple[int, int]]:
    """`mjrelay web` with an API secret on a loopback port: (port, pid)."""
    port = free_port()
    process = subprocess.Popen(
        [*MJRELAY, "web"],
        env=clean_env(
            PORT=str(port),
            MJRELAY_HOST="127.0.0.1",
            DATABASE_URL=database_url,
            MJRELAY_API_SECRET=SECRET,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, process)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


async def _burst(
    port: int, path: str, headers: dict[str, str], count: int, size: int = BODY
) -> list[Answer]:
    """`count` concurrent posts of `size` bytes, every other one chunked (no Content-Length)."""
    posts = (_post(port, path, headers, declare_length=i % 2 == 0, size=size) for i in range(count))
    return list(await asyncio.gather(*posts))


async def test_unauthenticated_big_bodies_are_refused_unread(web: tuple[int, int]) -> None:
    port, pid = web
    # Warm the code path (imports, first-request setup) so the baseline is the steady state.
    await _burst(port, "/mj/submit/imagine", {}, 2)
    baseline = psutil.Process(pid).memory_info().rss
    with PeakRss(pid) as rss:
        answers = await _burst(port, "/mj/submit/imagine", {}, 20)
    assert [a.status for a in answers] == [401] * 20
    assert max(a.seconds for a in answers) < 1.0, answers
    # Refused from the headers: nobody got to send even half of the 60 MB.
    assert max(a.sent for a in answers) < BODY // 2, answers
    assert rss.peak - baseline < 100 * MIB, f"grew {(rss.peak - baseline) / MIB:.0f} MiB"


async def test_every_dialect_refuses_before_reading(web: tuple[int, int]) -> None:
    port, _pid = web
    for path in ("/mj/imagine", "/mj/submit/blend", "/image/imagine", "/pika/animate"):
        answers = await _burst(port, path, {"mj-api-secret": "wrong"}, 2)
        expected = 200 if path.startswith("/image/") else 401  # webman: in-body code 403
        assert [a.status for a in answers] == [expected] * 2, path
        assert max(a.sent for a in answers) < BODY // 2, (path, answers)


async def test_oversize_bodies_with_the_secret_are_refused_with_413(web: tuple[int, int]) -> None:
    port, pid = web
    authorized = {"mj-api-secret": SECRET}
    baseline = psutil.Process(pid).memory_info().rss
    with PeakRss(pid) as rss:
        # A route without images takes a small body: refused within the first megabytes.
        small = await _burst(port, "/mj/submit/change", authorized, 4)
        # Imagine takes room for its images; a declared 200 MB is refused before reading, and
        # a chunked one is cut off once past the limit.
        big = await _burst(port, "/mj/submit/imagine", authorized, 2, size=200 * MIB)
    assert [a.status for a in small + big] == [413] * 6, small + big
    assert max(a.sent for a in small) < BODY // 2, small
    assert max(a.sent for a in big) < 200 * MIB // 2, big
    assert rss.peak - baseline < 300 * MIB, f"grew {(rss.peak - baseline) / MIB:.0f} MiB"
