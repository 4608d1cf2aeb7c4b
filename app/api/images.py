"""Fetching input images by URL through the SSRF-guarded client (shared with callbacks).

A client-given URL must not become a way into the operator's network: every connection (each
redirect hop too) goes through `app.callbacks.transport`'s guarded backend, which refuses
private, loopback, link-local (cloud metadata) and other non-public addresses unless the
operator allows them (`MJRELAY_IMAGE_ALLOW_PRIVATE`, for tests and private deployments).
Size is capped while reading; the type is checked from the bytes, not the headers.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from app.callbacks.ssrf import Allowlist
from app.callbacks.transport import BlockedDestination, make_client
from app.domain.errors import CommandError, ErrorKind
from app.domain.images import ImageError, InputImage, check_image

DEFAULT_FETCH_TIMEOUT_S = 15.0
MAX_REDIRECTS = 3
_EVERYWHERE = Allowlist.parse(["0.0.0.0/0", "::/0"])


def _refuse(message: str) -> CommandError:
    return CommandError(ErrorKind.IMAGE, message)


class ImageFetcher:
    """Downloads client-given image URLs; one short-lived guarded client per call."""

    def __init__(
        self,
        max_bytes: int,
        *,
        allow_private: bool = False,
        timeout_s: float = DEFAULT_FETCH_TIMEOUT_S,
    ) -> None:
        self.max_bytes = max_bytes
        self.allowlist = _EVERYWHERE if allow_private else Allowlist()
        self.timeout_s = timeout_s

    async def fetch_all(self, urls: list[str]) -> list[InputImage]:
        if not urls:
            return []
        async with make_client(self.allowlist) as client:
            return [await self._fetch(client, url) for url in urls]

    async def _fetch(self, client: httpx.AsyncClient, url: str) -> InputImage:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _refuse(f"image URL must be http(s): {url}")
        try:
            async with asyncio.timeout(self.timeout_s):
                data = await self._download(client, url)
        except BlockedDestination as exc:
            raise _refuse(f"image URL refused ({exc}): {url}") from None
        except TimeoutError:
            raise _refuse(f"image URL timed out after {self.timeout_s:g}s: {url}") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise _refuse(f"image URL could not be fetched ({exc}): {url}") from None
        try:
            return check_image(data, f"url:{url}", self.max_bytes)
        except ImageError as exc:
            raise _refuse(f"{exc}: {url}") from None

    async def _download(self, client: httpx.AsyncClient, url: str) -> bytes:
        for _hop in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", url, headers={"Accept": "image/*"}) as response:
                if response.is_redirect and "location" in response.headers:
                    url = str(response.url.join(response.headers["location"]))
                    continue
                if response.status_code != 200:
                    raise ValueError(f"HTTP {response.status_code}")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_bytes:
                    raise _refuse(f"image is larger than {self.max_bytes} bytes: {url}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _refuse(f"image is larger than {self.max_bytes} bytes: {url}")
                    chunks.append(chunk)
                return b"".join(chunks)
        raise ValueError(f"more than {MAX_REDIRECTS} redirects")
