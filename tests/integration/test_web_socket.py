"""The listening socket `mjrelay web --workers N` hands its children: the connections it accepts
get TCP_NODELAY from asyncio, as uvicorn's own sockets do (else each response waits ~40 ms on
Nagle and the client's delayed ACK)."""

from __future__ import annotations

import asyncio
import socket

from app.web_processes import listening_socket


async def test_connections_accepted_on_the_shared_socket_have_nodelay() -> None:
    sock = listening_socket("127.0.0.1", 0)
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
