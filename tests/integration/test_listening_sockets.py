"""The listening sockets we bind ourselves (`mjrelay web --workers N`, the sandbox): the
connections they accept get TCP_NODELAY from asyncio, as uvicorn's own sockets do (else each
response may wait ~40 ms on Nagle and the client's delayed ACK)."""

from __future__ import annotations

import asyncio
import socket

from app.web_processes import listening_socket


async def test_connections_accepted_on_the_shared_socket_have_nodelay() -> None:
    await _accepted_with_nodelay(listening_socket("127.0.0.1", 0))


async def _accepted_with_nodelay(sock: socket.socket) -> None:
    accepted: asyncio.Queue[int] = asyncio.Queue()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("socket")
        accepted.put_nowait(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(connected, sock=sock)
    try:
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(accepted.get(), 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_the_sandbox_listener_gives_its_connections_nodelay() -> None:
    from app.sandbox.server import _bind

    await _accepted_with_nodelay(_bind("127.0.0.1", 0))
