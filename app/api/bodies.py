"""Reading request bodies: JSON (every dialect), forms and multipart (webman, Pika animate).

Callers authenticate first (`app.api.endpoint`); then every body is capped: a declared
`Content-Length` over the route's limit is refused before a byte is read, and a body without
one (chunked) is cut off as soon as it passes the limit. Forms are capped in field count and
part size too. A body that is not what the route takes becomes a CommandError with a one-line
reason (TOO_LARGE for size), never an exception page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from app.dialects.fields import invalid
from app.domain import json_codec
from app.domain.errors import CommandError, ErrorKind
from app.domain.images import ImageError, InputImage, check_image
from app.domain.limits import MAX_FORM_FIELDS

_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<key>[^\[\]]*)\]$")


def _too_large(limit: int) -> CommandError:
    return CommandError(ErrorKind.TOO_LARGE, f"request body is larger than {limit} bytes")


def declares_body(request: Request) -> bool:
    length = request.headers.get("content-length", "").strip()
    return "transfer-encoding" in request.headers or (length.isdigit() and int(length) > 0)


def body_left_unread(request: Request) -> bool:
    """Did the client send (or announce) a body that nobody read to its end?"""
    return declares_body(request) and not getattr(request.state, "body_complete", False)


async def capped_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks; TOO_LARGE from the header, or as soon as more than `limit` arrived."""
    failed = getattr(request.state, "body_error", None)
    if failed is not None:  # a second reader (auto dialect) gets the first reader's answer
        raise failed
    length = request.headers.get("content-length", "").strip()
    try:
        if length.isdigit() and int(length) > limit:
            raise _too_large(limit)
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            yield chunk
    except ClientDisconnect:
        request.state.body_error = invalid("the client went away while sending the body")
        raise request.state.body_error from None
    except CommandError as err:
        request.state.body_error = err
        raise
    request.state.body_complete = True


async def read_bytes(request: Request, limit: int) -> bytes:
    cached = getattr(request.state, "raw_body", None)
    if cached is not None:
        return bytes(cached)
    chunks = [chunk async for chunk in capped_stream(request, limit)]
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
            value = json_codec.loads(raw)
        except (ValueError, RecursionError):
            raise invalid("request body is not valid JSON") from None
    request.state.json_body = value
    return value


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").lower()
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def read_form_data(
    request: Request, limit: int, *, max_files: int, max_part: int
) -> FormData:
    """A urlencoded or multipart form, read through `capped_stream`: at most `limit` bytes in
    all, MAX_FORM_FIELDS fields, `max_files` files and `max_part` bytes per field."""
    content_type = request.headers.get("content-type", "").lower()
    stream = capped_stream(request, limit)
    parser: FormParser | MultiPartParser
    if content_type.startswith("multipart/form-data"):
        parser = MultiPartParser(
            request.headers,
            stream,
            max_files=max_files,
            max_fields=MAX_FORM_FIELDS,
            max_part_size=max_part,
        )
    else:
        parser = FormParser(
            request.headers, stream, max_fields=MAX_FORM_FIELDS, max_part_size=max_part
        )
    try:
        return await parser.parse()
    except (MultiPartException, ValueError, AssertionError, KeyError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise invalid(f"request body is not a valid form: {message}") from None
    finally:
        await stream.aclose()


async def read_form(request: Request, limit: int) -> dict[str, Any]:
    """A form as a dict: `images[]=a&images[]=b` -> {"images": [a, b]}, `data[k]=v` -> dict.

    Files are not taken (webman sends URLs and base64 text, never uploads)."""
    form = await read_form_data(request, limit, max_files=0, max_part=limit)
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
        return json_codec.loads(raw)
    except (ValueError, RecursionError):
        raise invalid("request body must be JSON or a form") from None


async def read_upload(
    request: Request, limit: int, max_bytes: int
) -> tuple[dict[str, Any], InputImage | None]:
    """A multipart form with one image `file` (Pika animate) -> (other fields, image).

    The body is at most `limit` bytes, so the file (spooled to disk past 1 MiB) is bounded too.
    """
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise invalid("request must be multipart/form-data with a file field")
    form = await read_form_data(request, limit, max_files=1, max_part=64 * 1024)
    try:
        fields = {k: v for k, v in form.multi_items() if not isinstance(v, UploadFile)}
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return fields, None
        data = await upload.read(max_bytes + 1)
    finally:
        await form.close()
    try:
        image = check_image(data, f"upload:{upload.filename or 'file'}", max_bytes)
    except ImageError as exc:
        raise CommandError(ErrorKind.IMAGE, f"file: {exc}") from None
    return fields, image
