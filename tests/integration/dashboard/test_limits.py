"""The dashboard's submit form is bounded like the API (issue 12, part 3): the prompt limit
holds without a dialect, and an upload is cut off at its limit instead of spooled to disk."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.integration.api.conftest import no_writes

KIB = 1024
HEAD = (
    b'--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nimagine\r\n'
    b'--x\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
)


class Upload:
    """A multipart body whose one file never ends, counting what the server read."""

    def __init__(self) -> None:
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield HEAD
        self.read += len(HEAD)
        while self.read < 64 * 1024 * KIB:
            self.read += 64 * KIB
            yield b"\0" * (64 * KIB)


async def test_a_long_prompt_is_refused_without_a_dialect(web, engine) -> None:
    async with web(prompt_max_chars=20) as client, no_writes(engine):
        reply = await client.post(
            "/dashboard/submit", data={"kind": "imagine", "prompt": "a long prompt about cats"}
        )
    assert reply.status_code == 400
    assert "prompt is longer than 20 characters" in reply.text


async def test_an_upload_is_cut_off_at_its_limit(web, engine) -> None:
    settings = {"image_max_bytes": 64 * KIB, "body_max_bytes": 64 * KIB}
    async with web(**settings) as client, no_writes(engine):
        upload = Upload()
        reply = await client.post(
            "/dashboard/submit",
            content=upload,
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
    assert reply.status_code == 400
    assert "request body is larger than" in reply.text
    # Room for six images of 64 KiB plus the small fields, not the 64 MiB sent.
    assert upload.read <= 64 * KIB + 6 * 64 * KIB + 128 * KIB


async def test_the_login_form_reads_a_few_kilobytes_at_most(web, engine) -> None:
    """Read before the secret (and the rate limit) is checked: so it must be small."""

    class Endless:
        read = 0

        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"next=/dashboard&secret="
            while self.read < 64 * 1024 * KIB:
                self.read += 64 * KIB
                yield b"a" * (64 * KIB)

    async with web(admin_secret="adm1n") as client:
        body = Endless()
        reply = await client.post(
            "/dashboard/login",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert reply.status_code == 400 and "request body is larger than 16384 bytes" in reply.text
    assert body.read <= 128 * KIB
    assert reply.headers["connection"] == "close"
