"""Limits before work, authentication before parsing (issue 12, part 3), route by route.

httpx's ASGI transport pulls a streamed body from its generator only when the app reads it,
so `Counted` tells exactly how much of a body the app read before answering.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.domain.limits import encoded_size
from tests.integration.api.conftest import add_account, body, data_url, no_writes

KIB = 1024
CHUNK = 64 * KIB


class Counted:
    """A streamed body of `size` bytes (no Content-Length: chunked), counting what was read."""

    def __init__(self, size: int, head: bytes = b'{"prompt":"') -> None:
        self.size, self.head, self.read = size, head, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.size:
            chunk = (self.head if sent == 0 else b"") + b"a" * CHUNK
            chunk = chunk[: self.size - sent]
            self.read += len(chunk)
            sent += len(chunk)
            yield chunk


SUBMIT_ROUTES = [
    ("/mj/submit/imagine", "application/json"),
    ("/mj/submit/change", "application/json"),
    ("/mj/imagine", "application/json"),
    ("/pika/create", "application/json"),
    ("/mj/submit/blend", "application/json"),
    ("/mj/submit/modal", "application/json"),
    ("/mj/task/list-by-condition", "application/json"),
    ("/image/imagine", "application/x-www-form-urlencoded"),
    ("/image/action", "application/json"),
    ("/pika/animate", "multipart/form-data; boundary=x"),
]


async def test_a_client_without_the_secret_is_refused_before_its_body_is_read(api, engine) -> None:
    async with api(api_secret="s3cret") as client, no_writes(engine):
        for path, content_type in SUBMIT_ROUTES:
            stream = Counted(8 * 1024 * KIB)
            headers = {"content-type": content_type}
            response = await client.post(path, content=stream, headers=headers)
            assert stream.read <= CHUNK, f"{path} read {stream.read} bytes before refusing"
            assert response.headers["connection"] == "close", path
            reply = body(response)
            if path.startswith("/image/"):
                assert (response.status_code, reply["code"]) == (200, 403)  # webman's envelope
            else:
                assert (response.status_code, reply["code"]) == (401, 401), path


async def test_a_body_sent_to_an_unknown_path_is_not_read(api) -> None:
    async with api() as client:
        for method, path in (("POST", "/mj/nothing"), ("POST", "/nothing"), ("PUT", "/mj/imagine")):
            stream = Counted(8 * 1024 * KIB)
            response = await client.request(method, path, content=stream)
            assert response.status_code in (404, 405), path
            assert stream.read == 0 and response.headers["connection"] == "close", path


async def test_auto_dialect_refusal_speaks_to_both_dialects(api, engine) -> None:
    async with api(api_secret="s3cret") as client, no_writes(engine):
        response = await client.post("/mj/submit/imagine", json={"prompt": "a cat"})
    assert response.status_code == 401
    assert body(response) == {
        "code": 401,
        "description": "invalid or missing API secret",
        "message": "invalid or missing API secret",
        "result": None,
        "properties": {},
    }


async def test_auto_dialect_with_a_secret_per_dialect(api, engine, png) -> None:
    """A secret valid for either dialect lets the body be read and sniffed; the sniffed dialect
    then checks its own secret."""
    await add_account(engine)
    novicezk_body = {"prompt": "a cat", "base64Array": [data_url(png)], "state": "s"}
    async with api(discordxy_api_secret="dx", novicezk_api_secret="nz") as client:
        dx, nz = {"mj-api-secret": "dx"}, {"mj-api-secret": "nz"}
        reply = body(await client.post("/mj/submit/imagine", json={"prompt": "a"}, headers=dx))
        assert reply["code"] == 0 and reply["message"] == "Success"
        reply = body(await client.post("/mj/submit/imagine", json=novicezk_body, headers=nz))
        assert reply["code"] == 1
        async with no_writes(engine):
            # The Discordxy secret opens the door, the body is novicezk's: novicezk's 401.
            response = await client.post("/mj/submit/imagine", json=novicezk_body, headers=dx)
            assert response.status_code == 401 and set(body(response)) == {
                "code",
                "description",
                "result",
                "properties",
            }
            response = await client.post("/mj/submit/imagine", json={"prompt": "a"}, headers=nz)
            assert response.status_code == 401 and body(response)["message"]
            stream = Counted(4 * 1024 * KIB)
            response = await client.post("/mj/submit/change", content=stream)
            assert response.status_code == 401 and stream.read <= CHUNK


async def test_an_open_dialect_reads_no_more_than_its_own_limit(api, engine) -> None:
    """Discordxy open, novicezk closed: an anonymous body on the shared path is read only up to
    Discordxy's (image-less) limit, not novicezk's room for images."""
    async with (
        api(api_secret="nz", discordxy_api_secret="", body_max_bytes=64 * KIB) as client,
        no_writes(engine),
    ):
        stream = Counted(4 * 1024 * KIB)
        response = await client.post("/mj/submit/imagine", content=stream)
        assert response.status_code == 413 and body(response)["code"] == 413
        assert stream.read <= 64 * KIB + CHUNK


TOO_LARGE = "request body is larger than 65536 bytes"
OVERSIZE_CASES = [
    (
        "/mj/imagine",
        413,
        {"code": 413, "result": None, "message": TOO_LARGE},
    ),
    (
        "/mj/submit/shorten",
        413,
        {"code": 4, "description": f"请求体过大 ({TOO_LARGE})", "result": None, "properties": {}},
    ),
    (
        "/mj/submit/change",
        413,
        {
            "code": 413,
            "description": TOO_LARGE,
            "message": TOO_LARGE,
            "result": None,
            "properties": {},
        },
    ),
    (
        "/image/imagine",
        200,
        {"code": 500, "msg": TOO_LARGE, "taskId": None, "data": [], "ban-words": ""},
    ),
]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_oversize_body_is_refused_in_the_dialects_envelope(
    api, engine, chunked: bool
) -> None:
    async with api(body_max_bytes=64 * KIB) as client, no_writes(engine):
        for path, status, expected in OVERSIZE_CASES:
            stream = Counted(16 * 1024 * KIB)
            if chunked:
                response = await client.post(path, content=stream)
                assert stream.read <= 64 * KIB + CHUNK, path  # cut off once past the limit
            else:
                headers = {"content-length": str(64 * KIB + 1)}
                response = await client.post(path, content=stream, headers=headers)
                assert stream.read == 0, path  # refused from the header
            assert response.status_code == status, path
            assert body(response) == expected
            assert response.headers["connection"] == "close", path


async def test_routes_with_images_take_room_for_them(api, engine) -> None:
    """A novicezk imagine with its images may exceed the plain body limit; one byte more than
    the room for its images is refused unread."""
    await add_account(engine)
    settings: dict[str, Any] = {
        "body_max_bytes": 64 * KIB,
        "image_max_bytes": 256 * KIB,
        "imagine_max_images": 2,
        "submit_dialect": "novicezk",
    }
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * (200 * KIB)
    room = 64 * KIB + 2 * encoded_size(256 * KIB)
    async with api(**settings) as client:
        payload = {"prompt": "a cat", "base64Array": [data_url(png), data_url(png)]}
        assert len(json.dumps(payload)) > 64 * KIB
        reply = body(await client.post("/mj/submit/imagine", json=payload))
        assert reply["code"] == 1, reply
        async with no_writes(engine):
            stream = Counted(8 * 1024 * KIB)
            headers = {"content-length": str(room + 1)}
            response = await client.post("/mj/submit/imagine", content=stream, headers=headers)
            assert (response.status_code, body(response)["code"], stream.read) == (413, 4, 0)
            three = {"prompt": "a cat", "base64Array": [data_url(png[:1024])] * 3}
            reply = body(await client.post("/mj/submit/imagine", json=three))
            assert reply["code"] == 4 and "最多2张图片" in reply["description"]


async def test_a_long_prompt_gets_each_dialects_validation_error(api, engine) -> None:
    async with api(prompt_max_chars=20) as client, no_writes(engine):
        prompt = "a very long prompt about cats"
        response = await client.post("/mj/imagine", json={"prompt": prompt})
        assert response.status_code == 400
        assert body(response)["message"] == "prompt is longer than 20 characters"
        reply = body(await client.post("/mj/submit/shorten", json={"prompt": prompt}))
        assert reply["code"] == 4 and "超过20个字符" in reply["description"]
        reply = body(await client.post("/image/imagine", data={"prompt": prompt}))
        assert reply == {
            "code": 500,
            "msg": "prompt is invalid: longer than 20 characters",
            "taskId": None,
            "data": [],
            "ban-words": "",
        }


async def test_webman_data_and_forms_are_bounded(api, engine) -> None:
    async with api(client_data_max_bytes=100) as client, no_writes(engine):
        big_data = {"prompt": "a cat", "data": {"k": "v" * 200}}
        reply = body(await client.post("/image/imagine", json=big_data))
        assert (reply["code"], reply["msg"]) == (500, "data is invalid: larger than 100 bytes")
        fields = {f"data[k{i}]": "v" for i in range(150)}
        reply = body(await client.post("/image/imagine", data={"prompt": "a cat", **fields}))
        assert reply["code"] == 500 and "Too many fields" in reply["msg"]
        reply = body(
            await client.post(
                "/image/imagine",
                data={"prompt": "a cat"},
                files={"file": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")},
            )
        )
        assert reply["code"] == 500 and "Too many files" in reply["msg"]


async def test_pika_upload_is_bounded(api, engine, png) -> None:
    async with api(image_max_bytes=4 * KIB, body_max_bytes=64 * KIB) as client, no_writes(engine):
        big = b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * KIB)
        response = await client.post(
            "/pika/animate", data={"prompt": "x"}, files={"file": ("a.png", big, "image/png")}
        )
        assert response.status_code == 400
        assert body(response)["message"] == "file: image is larger than 4096 bytes"
        # Past the image and the small fields: cut off while streaming, nothing spooled.
        stream = Counted(
            16 * 1024 * KIB,
            head=b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n',
        )
        response = await client.post(
            "/pika/animate",
            content=stream,
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
        assert response.status_code == 413 and body(response)["code"] == 413
        assert stream.read <= 68 * KIB + CHUNK
        too_many = {"prompt": "x", **{f"f{i}": "v" for i in range(150)}}
        response = await client.post(
            "/pika/animate", data=too_many, files={"file": ("a.png", png, "image/png")}
        )
        assert response.status_code == 400 and "Too many fields" in body(response)["message"]
