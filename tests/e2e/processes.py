"""mjrelay as a user runs it, for the end-to-end tests: a command in a clean environment on a
free loopback port, always killed in the end, and waited for until it answers /readyz."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
import pytest

MJRELAY = [sys.executable, "-m", "app.cli"]
P = TypeVar("P", bound=subprocess.Popen[Any])
Completed = subprocess.CompletedProcess[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any mjrelay setting (and without DATABASE_URL), JSON logs, and
    `extra` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJRELAY_")}
    env.pop("DATABASE_URL", None)
    env["MJRELAY_LOG_FORMAT"] = "json"
    env.update(extra)
    return env


def start(*args: str, **env: str) -> subprocess.Popen[bytes]:
    """`mjrelay <args>` in a clean environment plus `env`; stdout and stderr as one stream."""
    return subprocess.Popen(
        [*MJRELAY, *args], env=clean_env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def run(*args: str, stdin: str = "", timeout: float = 60, **env: str) -> Completed:
    """`mjrelay <args>` to its end in a clean environment plus `env`; its output as text."""
    return subprocess.run(
        [*MJRELAY, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=timeout,
    )


@contextlib.contextmanager
def killed_in_the_end(process: P) -> Iterator[P]:
    """The block runs the process; whatever happens, it is not left running after."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()


def output_of(process: subprocess.Popen[bytes]) -> str:
    return process.stdout.read().decode() if process.stdout else ""


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process exited early with {process.returncode}:\n{output_of(process)}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("never became ready")


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "postgres" in (proc.info["name"] or "") and str(pgdata) in cmdline:
            found.append(proc)
    return found
