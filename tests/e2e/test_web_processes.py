"""`mjrelay web --workers 2` and WEB_CONCURRENCY: two processes serve one port, both take
requests, a dead one is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import signal
import time

import httpx
import psutil
import pytest

from tests.e2e.processes import free_port, killed_in_the_end, output_of, start, wait_ready


def _children(pid: int, count: int) -> list[psutil.Process]:
    """The web processes (spawned children running mjrelay), once `count` of them are up."""
    deadline = time.monotonic() + 60
    while True:
        found = [c for c in psutil.Process(pid).children() if "spawn" in " ".join(c.cmdline())]
        if len(found) == count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.2)


def _serving(children: list[psutil.Process], port: int) -> set[int]:
    """Pids of the children holding an established connection on `port`."""
    return {
        child.pid
        for child in children
        for conn in child.net_connections("tcp")
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_ESTABLISHED
    }


def _both_take_requests(port: int, children: list[psutil.Process]) -> None:
    """Open connections (each a request, kept open) until each child holds one of them."""
    seen: set[int] = set()
    for _ in range(20):
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(8)]
        try:
            for client in clients:
                assert client.get("/healthz").status_code == 200
            seen |= _serving(children, port)
        finally:
            for client in clients:
                client.close()
        if seen == {c.pid for c in children}:
            return
    pytest.fail(f"only {seen} of {[c.pid for c in children]} took requests")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("how", ["--workers", "WEB_CONCURRENCY"])
def test_two_web_processes_serve_and_stop(database_url: str, how: str) -> None:
    port = free_port()
    env = {"PORT": str(port), "MJRELAY_HOST": "127.0.0.1", "DATABASE_URL": database_url}
    args = ["web", "--workers", "2"] if how == "--workers" else ["web"]
    if how == "WEB_CONCURRENCY":
        env["WEB_CONCURRENCY"] = "2"
    with killed_in_the_end(start(*args, **env)) as process:
        children: list[psutil.Process] = []
        try:
            wait_ready(port, process)
            children = _children(process.pid, 2)
            _both_take_requests(port, children)
            if how == "--workers":
                children[0].kill()  # a web process dies: the supervisor starts another
                children[0].wait(10)
                replaced = _children(process.pid, 2)
                assert children[0].pid not in {c.pid for c in replaced}
                wait_ready(port, process)
                children = replaced
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, output_of(process)
            _gone, alive = psutil.wait_procs(children, timeout=10)
            assert alive == []
        finally:
            for child in children:
                if child.is_running():
                    child.kill()
    assert "Traceback" not in output_of(process)
