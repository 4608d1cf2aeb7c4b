"""`mjrelay web --workers N`: N web processes serving one listening socket.

The parent binds the port once and hands the socket to N spawned children, each a whole web
process (its own event loop, app and database pool); the kernel spreads connections between
them. The parent only supervises: a child that dies is replaced (at most one start per second,
so a child that cannot start does not spin), and the first SIGINT/SIGTERM is passed on to every
child as SIGTERM, each then shutting down within the grace period as a single web process does.
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
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    def __init__(self, settings: Settings, database_url: str, host: str, sock: socket.socket):
        self.args = (settings, database_url, host, sock)
        self.context = multiprocessing.get_context("spawn")
        self.running: list[BaseProcess] = []

    def start(self) -> None:
        child = self.context.Process(
            target=_child, args=self.args, name="mjrelay-web", daemon=False
        )
        child.start()
        self.running.append(child)

    def reap(self) -> int:
        """Forget the children that exited; how many there were."""
        dead = [c for c in self.running if not c.is_alive()]
        for child in dead:
            log.error("web process exited", extra={"pid": child.pid, "exitcode": child.exitcode})
            self.running.remove(child)
        return len(dead)

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
    sock = listening_socket(host, settings.port)
    children = _Children(settings, database_url, host, sock)
    log.info("web listening", extra={"host": host, "port": settings.port, "processes": workers})
    try:
        for _ in range(workers):
            children.start()
        while not stop.is_set():
            children.reap()
            if len(children.running) < workers and not stop.is_set():
                children.start()  # one per round: a child that dies at start cannot spin
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESTART_EVERY_S)
    finally:
        await children.stop(settings.shutdown_grace_s)
        sock.close()
