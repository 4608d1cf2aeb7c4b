"""The CLI as a user runs it: real subprocesses, real ports, real signals."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import (
    free_port,
    killed_in_the_end,
    output_of,
    postgres_processes,
    run,
    start,
    wait_ready,
)


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for command in ("up", "web", "worker", "callbacks", "migrate", "sandbox", "account"):
        assert command in result.stdout


def test_version_prints_version() -> None:
    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("mjrelay ")


def test_invalid_setting_fails_with_one_line_naming_it() -> None:
    result = run("web", PORT="not-a-port")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mjrelay: error: PORT: invalid value 'not-a-port': invalid literal for int() with base 10:"
        " 'not-a-port'"
    ]


@pytest.mark.parametrize(
    "command", [["up"], ["worker"], ["callbacks"], ["migrate"], ["sandbox"], ["account", "list"]]
)
def test_every_command_refuses_an_invalid_setting_the_same_way(command: list[str]) -> None:
    result = run(*command, MJRELAY_LOG_LEVEL="loud")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mjrelay: error: MJRELAY_LOG_LEVEL: invalid value 'loud': must be one of debug, info,"
        " warning, error"
    ]


def test_callbacks_alone_needs_a_shared_database() -> None:
    result = run("callbacks")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mjrelay: error: DATABASE_URL is not set (a separate dispatcher needs a shared database)"
    ]


def test_unreachable_database_fails_with_one_line() -> None:
    result = run("migrate", DATABASE_URL="postgresql://u:topsecret@127.0.0.1:1/none")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("mjrelay: error:")]
    assert len(errors) == 1, result.stderr
    assert "cannot reach the database" in errors[0]
    assert "topsecret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_up_serves_readyz_and_stops_cleanly_on_ctrl_c(data_dir: Path) -> None:
    port = free_port()
    with killed_in_the_end(start("up", PORT=str(port), MJRELAY_DATA_DIR=str(data_dir))) as process:
        response = wait_ready(port, process)
        assert response.json()["status"] == "ok"
        assert postgres_processes(data_dir / "pgdata"), "embedded PostgreSQL should be running"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert "Traceback" not in output_of(process)
    time.sleep(0.5)
    assert postgres_processes(data_dir / "pgdata") == [], "embedded PostgreSQL left running"
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


def test_web_with_external_database_url(database_url: str) -> None:
    port = free_port()
    env = {"PORT": str(port), "MJRELAY_HOST": "127.0.0.1", "DATABASE_URL": database_url}
    with killed_in_the_end(start("web", **env)) as process:
        wait_ready(port, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_up_in_sandbox_mode_turns_an_imagine_into_images(data_dir: Path) -> None:
    """The README's promise: `make run`, submit an imagine, get images — no Discord account."""
    port = free_port()
    env = {"PORT": str(port), "MJRELAY_DATA_DIR": str(data_dir), "MJRELAY_SANDBOX_SPEED": "instant"}
    base = f"http://127.0.0.1:{port}"
    with killed_in_the_end(start("up", **env)) as process:
        wait_ready(port, process)
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
    output = output_of(process)
    assert "SANDBOX MODE" in output
    assert "Traceback" not in output
    assert "graceful shutdown" not in output
