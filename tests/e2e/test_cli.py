"""The CLI as a user runs it: real subprocesses, real ports, real signals."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

MJRELAY = [sys.executable, "-m", "app.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJRELAY_")}
    env.pop("DATABASE_URL", None)
    env["MJRELAY_LOG_FORMAT"] = "json"
    env.update(extra)
    return env


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"process exited early with {process.returncode}:\n{output}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("never became ready")


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "postgres" in (proc.info["name"] or "") and str(pgdata) in cmdline:
            found.append(proc)
    return found


def test_help_lists_the_commands() -> None:
    result = subprocess.run([*MJRELAY, "--help"], capture_output=True, text=True, check=True)
    for command in ("up", "web", "worker", "callbacks", "migrate", "sandbox", "account"):
        assert command in result.stdout


def test_version_prints_version() -> None:
    result = subprocess.run([*MJRELAY, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("mjrelay ")


def test_invalid_setting_fails_with_one_line_naming_it() -> None:
    result = subprocess.run(
        [*MJRELAY, "web"], capture_output=True, text=True, env=_env(PORT="not-a-port")
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mjrelay: error: PORT: invalid value 'not-a-port': invalid literal for int() with base 10:"
        " 'not-a-port'"
    ]


@pytest.mark.parametrize(
    "command", [["up"], ["worker"], ["callbacks"], ["migrate"], ["sandbox"], ["account", "list"]]
)
def test_every_command_refuses_an_invalid_setting_the_same_way(command: list[str]) -> None:
    result = subprocess.run(
        [*MJRELAY, *command], capture_output=True, text=True, env=_env(MJRELAY_LOG_LEVEL="loud")
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mjrelay: error: MJRELAY_LOG_LEVEL: invalid value 'loud': must be one of debug, info,"
        " warning, error"
    ]


def test_callbacks_alone_needs_a_shared_database() -> None:
    result = subprocess.run([*MJRELAY, "callbacks"], capture_output=True, text=True, env=_env())
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mjrelay: error: DATABASE_URL is not set (a separate dispatcher needs a shared database)"
    ]


def test_unreachable_database_fails_with_one_line() -> None:
    result = subprocess.run(
        [*MJRELAY, "migrate"],
        capture_output=True,
        text=True,
        env=_env(DATABASE_URL="postgresql://u:topsecret@127.0.0.1:1/none"),
        timeout=60,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("mjrelay: error:")]
    assert len(errors) == 1, result.stderr
    assert "cannot reach the database" in errors[0]
    assert "topsecret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_up_serves_readyz_and_stops_cleanly_on_ctrl_c(data_dir: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*MJRELAY, "up"],
        env=_env(PORT=str(port), MJRELAY_DATA_DIR=str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        response = _wait_ready(port, process)
        assert response.json()["status"] == "ok"
        assert _postgres_processes(data_dir / "pgdata"), "embedded PostgreSQL should be running"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = process.stdout.read().decode() if process.stdout else ""
    assert "Traceback" not in output
    time.sleep(0.5)
    assert _postgres_processes(data_dir / "pgdata") == [], "embedded PostgreSQL left running"
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


def test_web_with_external_database_url(database_url: str) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*MJRELAY, "web"],
        env=_env(PORT=str(port), MJRELAY_HOST="127.0.0.1", DATABASE_URL=database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(port, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_up_in_sandbox_mode_turns_an_imagine_into_images(data_dir: Path) -> None:
    """The README's promise: `make run`, submit an imagine, get images — no Discord account."""
    port = _free_port()
    process = subprocess.Popen(
        [*MJRELAY, "up"],
        env=_env(PORT=str(port), MJRELAY_DATA_DIR=str(data_dir), MJRELAY_SANDBOX_SPEED="instant"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(port, process)
        submitted = httpx.post(
            f"{base}/mj/submit/imagine",
            json={"prompt": "a red fox in the snow", "notifyHook": ""},
            timeout=10,
        ).json()
        assert submitted["code"] == 1, submitted
        task_id = submitted["result"]
        deadline = time.monotonic() + 60
        while True:
            task = httpx.get(f"{base}/mj/task/{task_id}/fetch", timeout=10).json()
            if task["status"] in ("SUCCESS", "FAILURE"):
                break
            assert time.monotonic() < deadline, task
            time.sleep(0.2)
        assert task["status"] == "SUCCESS", task
        image = httpx.get(task["imageUrl"], timeout=10)
        assert image.status_code == 200
        assert image.content.startswith(b"\x89PNG")
        assert any(b["customId"].startswith("MJ::JOB::upsample::") for b in task["buttons"])
        # An open event stream (a dashboard tab) must not hold the shutdown up.
        opened = threading.Event()

        def listen() -> None:
            with (
                contextlib.suppress(httpx.HTTPError),
                httpx.stream("GET", f"{base}/events", timeout=30) as events,
            ):
                for _ in events.iter_bytes():
                    opened.set()

        threading.Thread(target=listen, daemon=True).start()
        assert opened.wait(10)
        stopping = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - stopping < 4
    finally:
        if process.poll() is None:
            process.kill()
    output = process.stdout.read().decode() if process.stdout else ""
    assert "SANDBOX MODE" in output
    assert "Traceback" not in output
    assert "graceful shutdown" not in output
