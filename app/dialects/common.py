"""Helpers every dialect renderer shares: JSON bytes, result URLs, progress text, times."""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import urlsplit

from app.domain import json_codec
from app.domain.results import MORE_CLIPS, POSTER_EXTENSION, poster_of, result_source
from app.domain.task import Task

_MEDIA_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp4", ".webm", ".mov")


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """The one JSON serializer of responses and callbacks: compact UTF-8 (app/domain/json_codec)."""
    return json_codec.dumps(value, sort_keys=sort_keys)


def envelope(head: bytes, body: bytes, tail: bytes = b"}") -> bytes:
    """Embed already-rendered task bytes in an envelope without re-serializing them."""
    return head + body + tail


def media_extension(url: str | None) -> str:
    if not url:
        return ""
    ext = posixpath.splitext(urlsplit(url).path)[1].lower()
    return ext if ext in _MEDIA_EXTENSIONS else ""


def file_url(task: Task, kind: str) -> str | None:
    """mjrelay's own durable URL for a result file (see docs/api.md "Result files")."""
    raw = result_source(task, kind)
    if not raw:
        return None
    public = task.prop("_public_files")  # set once archived, with MJRELAY_STORAGE_PUBLIC_URL
    if isinstance(public, dict) and isinstance(public.get(kind), str):
        return str(public[kind])
    origin, token = task.prop("_origin"), task.prop("_file_token")
    if not origin or not token:
        return raw
    return f"{origin}/files/{task.id}/{token}/{kind}{media_extension(raw)}"


def image_url(task: Task) -> str | None:
    """The image a client should show now: the archived result, else the live preview."""
    return file_url(task, "image") or task.preview_url


def image_raw_url(task: Task) -> str | None:
    """The image URL as Discord sent it."""
    return task.image_url or task.preview_url


def video_url(task: Task) -> str | None:
    return file_url(task, "video")


def video_urls(task: Task) -> list[str]:
    """Every clip of a video task in clip order (clip 1 is `video_url`), each at mjrelay's own
    durable URL; or the task's one video."""
    first = video_url(task)
    if not first:
        return []
    more = (file_url(task, kind) for kind in MORE_CLIPS)
    return [first, *(url for url in more if url)]


def poster_url(task: Task, kind: str) -> str | None:
    """mjrelay's URL of a clip's poster (its first frame; made when the clip is archived, or on
    the first request), or None when the clip has no durable URL of mjrelay's."""
    if not result_source(task, kind):
        return None
    name = poster_of(kind)
    public = task.prop("_public_files")
    if isinstance(public, dict) and isinstance(public.get(name), str):
        return str(public[name])
    origin, token = task.prop("_origin"), task.prop("_file_token")
    if not origin or not token:
        return None
    return f"{origin}/files/{task.id}/{token}/{name}{POSTER_EXTENSION}"


def video_entries(task: Task) -> list[tuple[str, str | None]]:
    """Every clip (as `video_urls`) with its poster's URL."""
    first = video_url(task)
    if not first:
        return []
    more = ((file_url(task, kind), poster_url(task, kind)) for kind in MORE_CLIPS)
    return [(first, poster_url(task, "video")), *((u, p) for u, p in more if u)]


def seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def percent(value: int) -> str:
    return f"{max(0, min(100, int(value)))}%"


def public_properties(task: Task) -> dict[str, Any]:
    props = task.properties if isinstance(task.properties, dict) else {}
    return {k: v for k, v in props.items() if not k.startswith("_")}


def public_params(task: Task) -> dict[str, Any]:
    params = task.params if isinstance(task.params, dict) else {}
    return {k: v for k, v in params.items() if not k.startswith("_")}


def input_urls(task: Task) -> list[str]:
    """The URLs the client gave as input images (webman `images`)."""
    urls = []
    for item in task.inputs if isinstance(task.inputs, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            urls.append(item["url"])
    return urls
