"""/files streams from the store: 20 concurrent downloads of a 20 MB video keep the web
process's memory flat (a server that loaded each file whole would grow by ~400 MB)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.storage.keys import object_key
from app.storage.location import parse_storage_url
from app.storage.store import ObjectStore
from db import objects as object_queries

SIZE = 20 * 1024 * 1024
CLIENTS = 20
TASK_ID = "1960000000000000001"
GROWTH_LIMIT = 100 * 1024 * 1024  # generous: a buffering server would need ~400 MB


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _stored_video(engine: AsyncEngine, store: ObjectStore) -> bytes:
    video = os.urandom(SIZE)
    task = Task(
        id=TASK_ID,
        dialect="novicezk",
        action="IMAGINE",
        properties={"_file_token": "5eed", "_origin": "http://test"},
    )
    await taskstore.create_task(engine, task)
    await taskstore.record_change(engine, TASK_ID, {"status": "STARTED"}, kind="leased")
    url = "https://cdn.discordapp.com/attachments/1/2/clip.mp4?ex=1&is=2&hm=3&"
    await taskstore.record_change(
        engine, TASK_ID, {"status": "SUCCESS", "video_url": url}, kind="finished"
    )
    key = object_key(TASK_ID, "5eed", "video.mp4")
    await store.put(key, video, "video/mp4")
    async with engine.begin() as conn:
        await object_queries.mark_stored(
            conn, task_id=TASK_ID, name="video", key=key, content_type="video/mp4",
            size=SIZE, sha256=hashlib.sha256(video).hexdigest(), source=url,
        )  # fmt: skip
    return video


def _web(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "web"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _download(client: httpx.AsyncClient, path: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    async with client.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(SIZE)
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


async def test_concurrent_downloads_keep_the_web_process_flat(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    location = f"file://{tmp_path / 'files'}"
    video = await _stored_video(engine, ObjectStore(parse_storage_url(location)))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MJRELAY_", "AWS_"))}
    env.update(
        DATABASE_URL=database_url,
        PORT=str(port),
        MJRELAY_HOST="127.0.0.1",
        MJRELAY_STORAGE_URL=location,
        MJRELAY_LOG_LEVEL="warning",
    )
    web = _web(env)
    path = f"/files/{TASK_ID}/5eed/video.mp4"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            await _download(client, path)  # warm: imports, pools and buffers in place
            process = psutil.Process(web.pid)
            baseline = process.memory_info().rss
            peak = baseline
            downloads = asyncio.gather(*(_download(client, path) for _ in range(CLIENTS)))
            while not downloads.done():
                peak = max(peak, process.memory_info().rss)
                await asyncio.sleep(0.02)
            results = await downloads
    finally:
        web.terminate()
        try:
            await asyncio.to_thread(web.wait, 20)
        except subprocess.TimeoutExpired:
            web.kill()
    expected = (SIZE, hashlib.sha256(video).hexdigest())
    assert results == [expected] * CLIENTS
    assert peak - baseline < GROWTH_LIMIT, f"RSS grew by {(peak - baseline) >> 20} MiB"
