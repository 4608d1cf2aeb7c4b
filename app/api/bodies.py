"""Reading request bodies: JSON (every dialect), forms and multipart (webman, Pika animate).

Bodies are size-capped while read; a body that is not what the route takes becomes a
CommandError(INVALID) with a one-line reason, never an exception page.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from app.domain.errors import CommandError, ErrorKind
from app.domain.images import ImageError, InputImage, check_image

_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<key>[^\[\]]*)\]$")


def _invalid(message: str) -> CommandError:
    return CommandError(ErrorKind.INVALID, message)


def body_limit(max_image_bytes: int) -> int:
    """Room for five base64 images plus the other fields."""
    return (max_image_bytes * 4 // 3 + 1024) * 5 + 1024 * 1024


async def read_bytes(request: Request, limit: int) -> bytes:
    cached = getattr(request.state, "raw_body", None)
    if cached is not None:
        return bytes(cached)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _invalid(f"request body is larger than {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _invalid(f"request body is larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise _invalid("the client went away while sending the body") from None
    body = b"".join(chunks)
    request.state.raw_body = body
    return body


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body; an empty body is `{}` (so missing fields are reported by name)."""
    if hasattr(request.state, "json_body"):
        return request.state.json_body
    raw = await read_bytes(request, limit)
    if not raw.strip():
        value: Any = {}
    else:
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise _invalid("request body is not valid JSON") from None
    request.state.json_body = value
    return value


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").lower()
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def read_form(request: Request, limit: int) -> dict[str, Any]:
    """A form as a dict: `images[]=a&images[]=b` -> {"images": [a, b]}, `data[k]=v` -> dict."""
    try:
        form = await request.form(max_files=10, max_fields=200, max_part_size=limit)
    except (HTTPException, ValueError, AssertionError, ClientDisconnect) as exc:
        raise _invalid(f"request body is not a valid form: {getattr(exc, 'detail', exc)}") from None
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        match = _INDEXED.match(key)
        if match is None:
            out[key] = value
            continue
        name, sub = match.group("name"), match.group("key")
        if sub == "" or sub.isdigit():
            current = out.setdefault(name, [])
            if isinstance(current, list):
                current.append(value)
        else:
            current = out.setdefault(name, {})
            if isinstance(current, dict):
                current[sub] = value
    return out


async def read_webman(request: Request, limit: int) -> Any:
    """webman reads `post(field)`: JSON when the content type says json, else the form."""
    content_type = request.headers.get("content-type", "").lower()
    if "json" in content_type:
        return await read_json(request, limit)
    if _is_form(request):
        return await read_form(request, limit)
    raw = await read_bytes(request, limit)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise _invalid("request body must be JSON or a form") from None


async def read_upload(request: Request, max_bytes: int) -> tuple[dict[str, Any], InputImage | None]:
    """A multipart form with one image `file` (Pika animate) -> (other fields, image)."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise _invalid("request must be multipart/form-data with a file field")
    try:
        form = await request.form(max_files=2, max_fields=20, max_part_size=1024 * 1024)
    except (HTTPException, ValueError, AssertionError, ClientDisconnect) as exc:
        raise _invalid(f"request body is not a valid form: {getattr(exc, 'detail', exc)}") from None
    fields = {k: v for k, v in form.multi_items() if not isinstance(v, UploadFile)}
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return fields, None
    data = await upload.read(max_bytes + 1)
    try:
        image = check_image(data, f"upload:{upload.filename or 'file'}", max_bytes)
    except ImageError as exc:
        raise CommandError(ErrorKind.IMAGE, f"file: {exc}") from None
    return fields, image
