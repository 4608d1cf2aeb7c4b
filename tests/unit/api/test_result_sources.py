"""Where result files may come from, and what they really are (no sockets: refused first)."""

from __future__ import annotations

import pytest

from app.callbacks.transport import BlockedDestination
from app.domain.media import sniff_media_type
from app.storage.sources import RefusedSource, ResultSources, download

SANDBOX = ResultSources.for_api_base("http://127.0.0.1:8790/api/v9")
DISCORD = ResultSources.for_api_base("https://discord.com/api/v9")


@pytest.mark.parametrize(
    ("sources", "url", "allowed"),
    [
        (DISCORD, "https://cdn.discordapp.com/attachments/1/2/a.png?ex=1&is=2&hm=3&", True),
        (DISCORD, "https://media.discordapp.net/attachments/1/2/a.png", True),
        (DISCORD, "https://CDN.discordapp.com./attachments/1/2/a.png", True),
        (DISCORD, "http://cdn.discordapp.com/attachments/1/2/a.png", False),
        (DISCORD, "https://cdn.discordapp.com:8443/a.png", False),
        (DISCORD, "https://cdn.discordapp.com.evil.example/a.png", False),
        (DISCORD, "https://evil.example/a.png", False),
        (DISCORD, "https://discord.com/api/v9/a.png", False),
        (DISCORD, "http://127.0.0.1:8790/attachments/a.png", False),
        (DISCORD, "file:///etc/passwd", False),
        (SANDBOX, "http://127.0.0.1:8790/attachments/a.png", True),
        (SANDBOX, "http://127.0.0.1:8791/attachments/a.png", False),
        (SANDBOX, "https://127.0.0.1:8790/attachments/a.png", False),
        (SANDBOX, "http://localhost:8790/attachments/a.png", False),
        (SANDBOX, "https://cdn.discordapp.com/attachments/1/2/a.png", True),
    ],
)
def test_allowed_sources(sources: ResultSources, url: str, allowed: bool) -> None:
    assert sources.allows(url) is allowed


def test_discords_own_api_is_no_stand_in() -> None:
    assert DISCORD.stand_in is None and DISCORD.allowlist().hosts == frozenset()
    assert ResultSources.for_api_base("https://discordapp.com/api/v10").stand_in is None
    assert SANDBOX.stand_in == ("http", "127.0.0.1", 8790)


async def test_a_cdn_name_resolving_to_a_private_address_is_never_dialled() -> None:
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.0.0.7"]

    with pytest.raises(BlockedDestination, match=r"10\.0\.0\.7 is private"):
        await download(
            "https://cdn.discordapp.com/attachments/1/2/a.png",
            DISCORD,
            max_bytes=1000,
            timeout_s=5,
            resolver=rebinding,
        )
    assert asked == ["cdn.discordapp.com"]


async def test_a_foreign_url_is_refused_before_any_lookup() -> None:
    async def no_lookup(host: str, port: int) -> list[str]:
        raise AssertionError(f"looked up {host}")

    with pytest.raises(RefusedSource, match=r"evil\.example"):
        await download(
            "https://evil.example/a.png?sig=x", DISCORD, max_bytes=10, timeout_s=5,
            resolver=no_lookup,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 8, "image/jpeg"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"GIF89a" + b"\0" * 8, "image/gif"),
        (b"\0\0\0\x18ftypisom\0\0\2\0", "video/mp4"),
        (b"\0\0\0\x14ftypqt  \0\0\0\0", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "video/webm"),
        (b"<html><script>alert(1)</script>", None),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b"", None),
    ],
)
def test_media_types_come_from_the_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_media_type(data) == expected


async def test_downloads_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a TLS context loads the CA bundle (tens of ms on the event loop, where the
    worker follows its gateways): the process builds it once, not per result download."""
    import ssl

    built: list[object] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        built.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", counting)

    async def private(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    for n in range(3):
        with pytest.raises(BlockedDestination):
            await download(
                f"https://cdn.discordapp.com/attachments/1/2/{n}.png",
                DISCORD,
                max_bytes=1000,
                timeout_s=5,
                resolver=private,
            )
    assert len(built) <= 1
