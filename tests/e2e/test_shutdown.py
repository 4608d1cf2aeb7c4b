"""Stopping is bounded and leaves nothing behind: real processes, real signals.

- A stop that something keeps from finishing (a thread that never returns) still exits within
  the grace period; a second Ctrl-C exits at once. Either way the cleanups run (the embedded
  PostgreSQL is released). `mjrelay up` with a job in flight stops within the bound, once or
  twice interrupted, and leaves no PostgreSQL behind. (The sandbox drawing a prompt far beyond
  the API's limit is tested in tests/integration/sandbox/test_cli.py.)
- After `mjrelay up` was killed with SIGKILL, the next run's Ctrl-C stops the embedded PostgreSQL
  (the dead process's handle is dropped, not counted as a holder forever).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from app.domain.limits import DISCORD_PROMPT_MAX_CHARS
from tests.e2e.processes import (
    clean_env,
    free_port,
    killed_in_the_end,
    output_of,
    postgres_processes,
    start,
    wait_ready,
)


@pytest.fixture(autouse=True)
def _no_leftovers(data_dir: Path):
    """Whatever a failing test left running under its folder is killed."""
    yield
    for proc in postgres_processes(data_dir):
        proc.kill()


# A process whose shutdown can never finish on its own: an executor thread sleeping for 10 min.
STUCK = textwrap.dedent(
    """
    import asyncio, sys, time
    from app import shutdown

    marker = sys.argv[1]

    def cleanup():
        with open(marker, "a") as f:
            f.write("released\\n")

    async def main():
        stop = asyncio.Event()
        shutdown.watch(stop, grace_s=2)
        asyncio.get_running_loop().run_in_executor(None, time.sleep, 600)
        print("ready", flush=True)
        await stop.wait()

    with shutdown.cleanup_on_force(cleanup):
        shutdown.run(main())
    print("returned", flush=True)
    """
)


def _start_stuck(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / "released"
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK, str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process, marker


def test_stop_is_bounded_even_when_a_thread_never_returns(tmp_path: Path) -> None:
    process, marker = _start_stuck(tmp_path)
    with killed_in_the_end(process):
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        elapsed = time.monotonic() - started
    assert code == 1 and 1.5 < elapsed < 15, (code, elapsed)
    stderr = process.stderr.read() if process.stderr else ""
    assert "shutdown did not finish within 2 s: exiting now" in stderr
    assert "Traceback" not in stderr
    assert marker.read_text() == "released\n"


def test_second_signal_exits_at_once(tmp_path: Path) -> None:
    process, marker = _start_stuck(tmp_path)
    with killed_in_the_end(process):
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        elapsed = time.monotonic() - started
    assert code == 130 and elapsed < 2, (code, elapsed)
    stderr = process.stderr.read() if process.stderr else ""
    assert "SIGINT again: exiting now" in stderr
    assert marker.read_text() == "released\n"


def _up(data_dir: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    return start("up", PORT=str(port), MJRELAY_DATA_DIR=str(data_dir), **env)


def _no_postgres_left(pgdata: Path, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while postgres_processes(pgdata):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _submit_longest_prompt(port: int) -> None:
    """An imagine with the longest prompt accepted, and wait until the bot works on it."""
    base = f"http://127.0.0.1:{port}"
    words = "a red fox in the snow "
    prompt = (words * (DISCORD_PROMPT_MAX_CHARS // len(words)))[:DISCORD_PROMPT_MAX_CHARS].strip()
    reply = httpx.post(f"{base}/mj/submit/imagine", json={"prompt": prompt}, timeout=60).json()
    assert reply["code"] == 0, reply
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = httpx.get(f"{base}/mj/status", params={"taskId": reply["result"]}, timeout=30)
        if status.json()["result"]["status"] in ("Create", "Running"):
            return
        time.sleep(0.2)
    pytest.fail("the imagine never reached the bot")


@pytest.mark.parametrize("signals", [1, 2], ids=["ctrl-c", "ctrl-c-twice"])
def test_up_with_a_job_in_flight_stops_within_the_bound(data_dir: Path, signals: int) -> None:
    port = free_port()
    with killed_in_the_end(_up(data_dir, port, MJRELAY_SHUTDOWN_GRACE_S="4")) as process:
        wait_ready(port, process)
        _submit_longest_prompt(port)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        if signals == 2:
            # Soon after the first: on an idle machine the whole stop can take < 0.3 s, and a
            # signal after the exit handlers are restored kills the process (-2), not ours.
            time.sleep(0.05)
            assert process.poll() is None, "stopped before the second Ctrl-C could be sent"
            process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        elapsed = time.monotonic() - started
    output = output_of(process)
    if signals == 1:
        assert elapsed < 4 + 6, (elapsed, output[-2000:])
        assert code in (0, 1), output[-2000:]
    else:
        assert code == 130 and elapsed < 5, (code, elapsed, output[-2000:])
        assert "SIGINT again: exiting now" in output
    assert "Traceback" not in output
    assert _no_postgres_left(data_dir / "pgdata"), output[-3000:]


def test_kill9_then_a_clean_run_leaves_no_postgres(data_dir: Path) -> None:
    port = free_port()
    pgdata = data_dir / "pgdata"
    with killed_in_the_end(_up(data_dir, port)) as killed:
        wait_ready(port, killed)
        killed.kill()  # SIGKILL: no cleanup at all
        killed.wait(timeout=30)
    assert postgres_processes(pgdata), "the embedded PostgreSQL outlives a SIGKILL"
    assert killed.pid in json.loads((pgdata / ".handle_pids.json").read_text())

    with killed_in_the_end(_up(data_dir, port)) as process:
        wait_ready(port, process)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    output = output_of(process)
    assert str(killed.pid) in output  # the dropped handle is logged
    assert _no_postgres_left(pgdata), "embedded PostgreSQL left running after the clean run"
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == []
