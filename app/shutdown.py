"""Bounded shutdown of the long-running commands (`up`, `web`, `worker`, `callbacks`, `sandbox`).

The first SIGINT or SIGTERM sets every watched stop event, so the web server and the worker wind
down in order, and starts a watchdog: whatever still runs after the grace period (a sandbox image
thread drawing a huge prompt, a socket that never closes) the process exits then. A second
signal exits at once. A forced exit runs the registered cleanups first (the CLI registers the
release of the embedded PostgreSQL), because `os._exit` skips `finally` blocks and atexit.

The handlers are plain `signal.signal` handlers, not the event loop's: they run even while the
loop is stuck, and the watchdog is a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_GRACE_S = 10.0
EXIT_TOO_SLOW = 1  # the grace period ran out
EXIT_INTERRUPTED = 130  # a second Ctrl-C (128 + SIGINT)
# How long a forced exit waits for the cleanups. Releasing the embedded PostgreSQL takes its data
# folder's lock, then waits for `pg_ctl stop`; once pg_ctl runs, the server stops even without us.
CLEANUP_BOUND_S = 5.0
CLEANUP_BOUND_NOW_S = 2.0  # after a second Ctrl-C: the person wants out


class _Guard:
    def __init__(self) -> None:
        self.grace_s = DEFAULT_GRACE_S
        self.lock = threading.Lock()
        self.stops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.cleanups: list[Callable[[], None]] = []
        self.signals = 0
        self.watchdog: threading.Timer | None = None
        self.installed = False

    def install(self) -> None:
        if self.installed or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self.installed = True

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signals += 1
        if self.signals > 1:
            message = f"{signal.Signals(signum).name} again: exiting now"
            self.force(message, EXIT_INTERRUPTED, CLEANUP_BOUND_NOW_S)
            return
        for loop, stop in list(self.stops):
            with contextlib.suppress(RuntimeError):  # that loop is already closed
                loop.call_soon_threadsafe(_announce, stop, self.grace_s)
        self.arm()

    def arm(self) -> None:
        """Start the watchdog (once): out within the grace period from now, whatever runs."""
        with self.lock:
            if self.watchdog is not None:
                return
            message = f"shutdown did not finish within {self.grace_s:g} s: exiting now"
            self.watchdog = threading.Timer(self.grace_s, self.force, (message, EXIT_TOO_SLOW))
            self.watchdog.daemon = True
            self.watchdog.start()

    def force(self, message: str, code: int, bound_s: float = CLEANUP_BOUND_S) -> None:
        """Say why on stderr, run the cleanups (bounded), and leave without joining threads."""
        with contextlib.suppress(OSError):
            os.write(2, f"mjrelay: {message}\n".encode())
        cleaner = threading.Thread(target=self._clean, daemon=True)
        cleaner.start()
        cleaner.join(bound_s)
        os._exit(code)

    def _clean(self) -> None:
        for cleanup in reversed(list(self.cleanups)):
            try:
                cleanup()
            except Exception:  # exiting anyway; the next cleanup still runs
                log.exception("cleanup failed during a forced exit")


_guard = _Guard()


def _announce(stop: asyncio.Event, grace_s: float) -> None:
    log.info(f"stopping (at most {grace_s:g} s); press Ctrl-C again to exit at once")
    stop.set()


def watch(stop: asyncio.Event, grace_s: float | None = None) -> None:
    """Set `stop` on the first SIGINT/SIGTERM of this process (call inside the running loop)."""
    if grace_s is not None:
        _guard.grace_s = grace_s
    _guard.stops.append((asyncio.get_running_loop(), stop))
    _guard.install()


@contextlib.contextmanager
def cleanup_on_force(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run `cleanup` before a forced exit too (it must be safe to call twice)."""
    _guard.cleanups.append(cleanup)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            _guard.cleanups.remove(cleanup)


def run(main: Coroutine[Any, Any, object]) -> object:
    """`asyncio.run(main)` whose tail is bounded: once `main` ends (or a signal came), the rest
    of the exit — cancelling tasks, joining executor threads, releasing the database — gets the
    grace period and no more. Without a watched stop event this is plain `asyncio.run`."""

    async def bounded() -> object:
        try:
            return await main
        finally:
            if _guard.installed:
                _guard.arm()

    return asyncio.run(bounded())
