"""`mjrelay web --workers N`: N web processes serving one listening socket.

The parent binds N listening sockets to the port with SO_REUSEPORT and hands one to each of N
spawned children, each a whole web process (its own event loop, app and database pool). The
kernel spreads new connections over the sockets by their addresses; with one shared socket
instead, the first process to wake accepts a whole burst of connections and the others idle
(measured: one child took all 32 of wrk's connections). A replacement child gets the dead one's
socket, so connections waiting in its queue are served, not dropped.

The parent only supervises: a child that dies is replaced (at most one start per second, so a
child that cannot start does not spin), and the first SIGINT/SIGTERM is passed on to every child
as SIGTERM, each then shutting down within the grace period as a single web process does.
Children ignore SIGINT: a terminal's Ctrl-C reaches the whole process group, and the parent's
one SIGTERM is the only stop a child should see.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
from multiprocessing.process import BaseProcess

from app import shutdown
from app.config import Settings
from app.logs import configure_logging

log = logging.getLogger(__name__)

RESTART_EVERY_S = 1.0  # the fastest a dead child is replaced
KILL_AFTER_EXTRA_S = 5.0  # beyond the children's own grace, before SIGKILL


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, as getaddrinfo gives uvicorn's own sockets: asyncio sets TCP_NODELAY
    # only on connections whose proto says TCP; with proto 0 every response waited on Nagle
    # and the client's delayed ACK (~40 ms each: two processes served 0.29× of one).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _child(settings: Settings, database_url: str, host: str, sock: socket.socket) -> None:
    """One web process on the shared socket (the target of a spawned child)."""
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    from app.serve import serve_web_on  # late: the parent need not load the web stack

    async def main() -> None:
        stop = asyncio.Event()
        shutdown.watch(stop, settings.shutdown_grace_s)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        orphaned = asyncio.create_task(_until_orphaned(stop))
        try:
            await serve_web_on(settings, database_url, host, stop, sock)
        finally:
            orphaned.cancel()

    shutdown.run(main())


async def _until_orphaned(stop: asyncio.Event) -> None:
    """Stop when the parent is gone (killed with SIGKILL, it could not pass a SIGTERM on)."""
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("web supervisor gone: stopping")
            stop.set()
            return
        await asyncio.sleep(1.0)


class _Children:
    """One child per listening socket; a slot whose child died is started again on its socket."""

    def __init__(
        self, settings: Settings, database_url: str, host: str, sockets: list[socket.socket]
    ) -> None:
        self.settings, self.database_url, self.host = settings, database_url, host
        self.sockets = sockets
        self.context = multiprocessing.get_context("spawn")
        self.slots: list[BaseProcess | None] = [None] * len(sockets)

    @property
    def running(self) -> list[BaseProcess]:
        return [child for child in self.slots if child is not None]

    def start(self, slot: int) -> None:
        args = (self.settings, self.database_url, self.host, self.sockets[slot])
        child = self.context.Process(target=_child, args=args, name="mjrelay-web", daemon=False)
        child.start()
        self.slots[slot] = child

    def start_one_missing(self) -> None:
        """Reap the children that exited, and start one of them again (one per call: a child
        that dies at start cannot make the supervisor spin)."""
        for slot, child in enumerate(self.slots):
            if child is not None and not child.is_alive():
                log.error(
                    "web process exited", extra={"pid": child.pid, "exitcode": child.exitcode}
                )
                self.slots[slot] = None
        if None in self.slots:
            self.start(self.slots.index(None))

    async def stop(self, grace_s: float) -> None:
        for child in self.running:
            if child.is_alive() and child.pid:
                os.kill(child.pid, signal.SIGTERM)
        deadline = asyncio.get_running_loop().time() + grace_s + KILL_AFTER_EXTRA_S
        while any(c.is_alive() for c in self.running):
            if asyncio.get_running_loop().time() > deadline:
                for child in self.running:
                    if child.is_alive():
                        child.kill()
                break
            await asyncio.sleep(0.1)
        for child in self.running:
            child.join(1)


async def run_web_processes(settings: Settings, database_url: str) -> None:
    """Serve on `settings.port` with `settings.web_concurrency` children until SIGINT/SIGTERM."""
    host, workers = settings.host or "0.0.0.0", settings.web_concurrency
    stop = asyncio.Event()
    shutdown.watch(stop, settings.shutdown_grace_s + KILL_AFTER_EXTRA_S + 2)
    sockets = [listening_socket(host, settings.port) for _ in range(workers)]
    children = _Children(settings, database_url, host, sockets)
    log.info("web listening", extra={"host": host, "port": settings.port, "processes": workers})
    try:
        for slot in range(workers):
            children.start(slot)
        while not stop.is_set():
            children.start_one_missing()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESTART_EVERY_S)
    finally:
        await children.stop(settings.shutdown_grace_s)
        for sock in sockets:
            sock.close()
