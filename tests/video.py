"""Shared setup of the video (and other whole-stack) tests: a sandbox fixture's arguments, the
start images clients send, reading replies, waiting for a result, and checking an MP4."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import av
import httpx
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.task import Task
from tests.stack import wait_for_status


def data_url(picture: Image.Image) -> str:
    out = io.BytesIO()
    picture.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def start_image(size: tuple[int, int] = (96, 64)) -> str:
    """A small gradient PNG as a data URL (a video's start frame)."""
    width, height = size
    picture = Image.new("RGB", size)
    picture.putdata([(x * 2, y * 4, (x * y) % 256) for y in range(height) for x in range(width)])
    return data_url(picture)


def solid_image(color: tuple[int, int, int], size: tuple[int, int] = (64, 64)) -> str:
    return data_url(Image.new("RGB", size, color))


def reply(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(json.loads(response.content))


async def done(engine: AsyncEngine, task_id: str) -> Task:
    """The task once finished; it must have succeeded."""
    task = await wait_for_status(engine, task_id, "SUCCESS", "FAILURE")
    assert task.status == "SUCCESS", task.fail_reason
    return task


async def mp4(client: httpx.AsyncClient, url: str) -> bytes:
    """The MP4 at `url`: an archived result through the app, a bot's link from the sandbox."""
    if httpx.URL(url).path.startswith("/files/"):
        data = (await client.get(httpx.URL(url).path)).content
    else:
        async with httpx.AsyncClient() as direct:
            data = (await direct.get(url)).content
    assert data[4:8] == b"ftyp", "a playable MP4 starts with its ftyp box"
    return data


def frames_of(data: bytes) -> list[Image.Image]:
    with av.open(io.BytesIO(data), mode="r") as container:
        return [f.to_image() for f in container.decode(video=0)]


def mean_color(picture: Image.Image) -> tuple[int, int, int]:
    r, g, b = picture.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return int(r), int(g), int(b)
