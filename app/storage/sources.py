"""Where a task's result file may be fetched from, and the guarded download itself.

A result URL comes from a bot message, and a message can only be as trustworthy as its author
(see app/discord/parse.py); this is the second line. Files are fetched only from Discord's CDN
(`https://cdn.discordapp.com`, `https://media.discordapp.net`) or from the origin that stands in
for Discord for the task's account — the sandbox, or a Discord reverse proxy — that is, the
origin of the account's `api_base` (else `MJRELAY_DISCORD_API_BASE`) when that is not Discord's.
Every hop of a redirect must pass the same check, and every connection goes through the
SSRF-guarded client (app/callbacks/transport.py): a CDN name that resolves to a private address
is refused. Only the stand-in's own host may be private (the sandbox listens on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from app.callbacks.ssrf import Allowlist
from app.callbacks.transport import Resolver, make_client, system_resolver

DISCORD_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
DISCORD_API_HOSTS = frozenset({"discord.com", "discordapp.com"})
MAX_REDIRECTS = 3
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class RefusedSource(ValueError):
    """The URL (or a redirect on the way) is not somewhere results come from."""


class UnavailableSource(ValueError):
    """The source answered, but not with the file (expired link, 404, 5xx)."""


def origin_of(url: str | httpx.URL) -> Origin | None:
    parts = httpx.URL(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    if parts.scheme not in _DEFAULT_PORTS or not parts.host or port is None:
        return None
    return parts.scheme, parts.host.lower().rstrip("."), port


@dataclass(frozen=True)
class ResultSources:
    """Discord's CDN, plus the stand-in origin of the task's account (None on real Discord)."""

    stand_in: Origin | None = None

    @classmethod
    def for_api_base(cls, api_base: str) -> ResultSources:
        found = origin_of(api_base)
        if found is None or found[1] in DISCORD_API_HOSTS:
            return cls()
        return cls(found)

    def allows(self, url: str | httpx.URL) -> bool:
        found = origin_of(url)
        if found is None:
            return False
        if found == ("https", found[1], 443) and found[1] in DISCORD_CDN_HOSTS:
            return True
        return found == self.stand_in

    def allowlist(self) -> Allowlist:
        """What the guard may dial although it is not public: the stand-in's host only."""
        return Allowlist.parse([self.stand_in[1]]) if self.stand_in else Allowlist()


@dataclass(frozen=True)
class Downloaded:
    data: bytes
    url: str  # where it finally came from, after redirects


async def download(
    url: str,
    sources: ResultSources,
    *,
    max_bytes: int,
    timeout_s: float,
    resolver: Resolver = system_resolver,
) -> Downloaded:
    """GET `url` (and up to MAX_REDIRECTS allowed redirects), at most `max_bytes` bytes."""
    async with (
        asyncio.timeout(timeout_s),
        make_client(sources.allowlist(), resolver=resolver) as client,
    ):
        for _hop in range(MAX_REDIRECTS + 1):
            if not sources.allows(url):
                raise RefusedSource(f"not a Discord CDN URL: {_host(url)}")
            async with client.stream("GET", url) as response:
                if response.is_redirect and "location" in response.headers:
                    url = str(response.url.join(response.headers["location"]))
                    continue
                if not response.is_success:  # not raise_for_status: its text holds the URL
                    raise UnavailableSource(f"HTTP {response.status_code} from {_host(url)}")
                return Downloaded(await _read(response, max_bytes), url)
    raise RefusedSource(f"more than {MAX_REDIRECTS} redirects")


async def _read(response: httpx.Response, max_bytes: int) -> bytes:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise ValueError(f"result file larger than {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ValueError(f"result file larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _host(url: str) -> str:
    """The host alone for messages: a result URL's query is a signature, not for logs."""
    try:
        return httpx.URL(url).host or "no host"
    except httpx.InvalidURL:
        return "invalid URL"
