"""Discord REST transport for one user account (httpx). Thin: policy lives in pure modules.

- `Authorization` is the raw user token (no `Bot ` prefix) and is sent only to `api_base`'s
  origin (scheme, host and port), whatever the caller asks: the upload PUT (a storage URL) and
  the Vary (Region) editor (the bot's activity host, `…discordsays.com`) never see it, nor the
  Discord client headers (`X-Super-Properties`).
- 429: wait `retry_after` (per route bucket, or globally) and retry; a 429 never counts as sent.
- 5xx and network errors: retried with tenacity (exponential backoff + jitter). For
  `send_interaction` only failures that cannot have reached Discord are retried (connect
  errors, 429): a 5xx or a read timeout may have created the interaction, and submitting twice
  is worse than failing — the caller reconciles through the gateway or `get_messages`.
- Every non-success response becomes a typed error from `errors.error_from_response`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

from app.discord import commands
from app.discord.command_index import CommandIndex
from app.discord.commands import UploadedAttachment
from app.discord.constants import DEFAULT_API_BASE, MJ_APPLICATION_ID
from app.discord.errors import (
    DiscordHTTPError,
    RateLimited,
    ServerError,
    TransportError,
    UnexpectedResponse,
    error_from_response,
)
from app.discord.properties import ClientProperties
from app.discord.ratelimit import RateLimiter, route_key

DEFAULT_TIMEOUT = 30.0
DEFAULT_INPAINT_URL = f"https://{MJ_APPLICATION_ID}.discordsays.com/inpaint/api/submit-job"
# Connection never established: the request cannot have reached Discord.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class UploadFile:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


class DiscordRest:
    def __init__(
        self,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        properties: ClientProperties | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = 4,
        max_rate_limit_retries: int = 5,
        max_rate_limit_wait: float = 60.0,
        retry_wait: wait_base | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._token = token
        self.api_base = api_base.rstrip("/")
        self._headers = (properties or ClientProperties()).rest_headers()
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._owns_client = client is None
        self._max_attempts = max_attempts
        self._max_429 = max_rate_limit_retries
        self._max_429_wait = max_rate_limit_wait
        self._retry_wait = retry_wait or wait_exponential_jitter(multiplier=0.5, max=8.0)
        self._clock = clock
        self._sleep = sleep
        self.limits = RateLimiter()
        self._command_index: dict[tuple[str, str], CommandIndex] = {}

    def __repr__(self) -> str:  # never show the token
        return f"<DiscordRest {self.api_base}>"

    async def __aenter__(self) -> DiscordRest:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # ------------------------------------------------------------------ core

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        retry_ambiguous: bool = True,
        authorized: bool = True,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One API call with rate-limit waits and retries; raises a typed `DiscordError`."""

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, TransportError):
                return retry_ambiguous or not exc.maybe_sent
            return isinstance(exc, ServerError) and retry_ambiguous

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._retry_wait,
            retry=retry_if_exception(retryable),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(method, path, json, params, authorized, content, headers)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        authorized: bool,
        content: bytes | None,
        extra_headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        url = path if path.startswith(("http://", "https://")) else self.api_base + path
        route = route_key(method, httpx.URL(url).path.removeprefix(httpx.URL(self.api_base).path))
        headers = dict(self._headers) if authorized and self._is_api(url) else {}
        if headers:
            headers["Authorization"] = self._token
        headers.update(extra_headers or {})
        limited: RateLimited | None = None
        for _ in range(self._max_429 + 1):
            delay = self.limits.delay(route, self._clock())
            if delay > 0:
                await self._sleep(delay)
            response = await self._transmit(method, url, json, params, content, headers)
            now = self._clock()
            self.limits.update(route, response.headers, now)
            if response.status_code != 429:
                if response.is_success:
                    return response
                raise error_from_response(response.status_code, _body(response), response.headers)
            limited = _as_rate_limited(response)
            wait = self.limits.on_429(route, limited.retry_after, limited.is_global, now)
            if wait > self._max_429_wait:
                raise limited
        assert limited is not None
        raise limited

    def _is_api(self, url: str) -> bool:
        """Whether `url` is on Discord's API origin, the one place the token may go."""
        return _origin(url) == _origin(self.api_base)

    async def _transmit(
        self,
        method: str,
        url: str,
        json: Any,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        try:
            return await self._client.request(
                method, url, json=json, params=params, content=content, headers=headers
            )
        except httpx.TransportError as exc:
            # The message names the host and the failure, never headers (no token).
            raise TransportError(
                f"{method} {httpx.URL(url).host}: {type(exc).__name__}",
                maybe_sent=not isinstance(exc, _NOT_SENT),
            ) from exc

    # ------------------------------------------------------------------ endpoints

    async def get_gateway_url(self) -> str:
        body = (await self.request("GET", "/gateway")).json()
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url:
            raise UnexpectedResponse(200, None, "GET /gateway returned no url", body)
        return url

    async def get_current_user(self) -> dict[str, Any]:
        """`GET /users/@me`: the account behind the token (a bad token answers 401)."""
        body = (await self.request("GET", "/users/@me")).json()
        if not isinstance(body, dict) or not body.get("id"):
            raise UnexpectedResponse(200, None, "GET /users/@me returned no user", body)
        return body

    async def get_command_index(
        self, *, guild_id: str | None = None, channel_id: str | None = None, refresh: bool = False
    ) -> CommandIndex:
        """The application-command index of a guild (or a DM channel), cached until `refresh`."""
        if guild_id is not None:
            key, path = ("guild", guild_id), f"/guilds/{guild_id}/application-command-index"
        elif channel_id is not None:
            key, path = ("channel", channel_id), f"/channels/{channel_id}/application-command-index"
        else:
            raise ValueError("get_command_index needs guild_id or channel_id")
        if refresh or key not in self._command_index:
            body = (await self.request("GET", path)).json()
            if not isinstance(body, dict):
                raise UnexpectedResponse(200, None, "command index is not an object", body)
            self._command_index[key] = CommandIndex.from_response(body)
        return self._command_index[key]

    async def send_interaction(self, payload: Mapping[str, Any]) -> None:
        """`POST /interactions`; only 204 means accepted (spec §2.1)."""
        response = await self.request("POST", "/interactions", json=payload, retry_ambiguous=False)
        if response.status_code != 204:
            raise UnexpectedResponse(
                response.status_code, None, "interaction not accepted", _body(response)
            )

    async def upload_attachments(
        self, channel_id: str, files: Sequence[UploadFile]
    ) -> list[UploadedAttachment]:
        """The 3-step upload's first two steps; reference the result in an interaction."""
        request = commands.attachments_request([(f.filename, len(f.data)) for f in files])
        body = (
            await self.request("POST", f"/channels/{channel_id}/attachments", json=request)
        ).json()
        slots = body.get("attachments") if isinstance(body, dict) else None
        if not isinstance(slots, list) or len(slots) != len(files):
            raise UnexpectedResponse(200, None, "upload slots do not match the files", body)
        uploaded: list[UploadedAttachment] = []
        for file, slot in zip(files, slots, strict=True):
            await self.request(
                "PUT",
                str(slot["upload_url"]),
                content=file.data,
                authorized=False,
                headers={"Content-Type": file.content_type},
            )
            uploaded.append(
                UploadedAttachment(
                    id=str(slot.get("id", len(uploaded))),
                    filename=file.filename,
                    uploaded_filename=str(slot["upload_filename"]),
                )
            )
        return uploaded

    async def send_message(
        self, channel_id: str, content: str = "", attachments: Sequence[UploadedAttachment] = ()
    ) -> dict[str, Any]:
        """A normal message (used to host reference images); returns the message object."""
        payload = {"content": content, "attachments": [a.as_payload() for a in attachments]}
        body = (await self.request("POST", f"/channels/{channel_id}/messages", json=payload)).json()
        if not isinstance(body, dict):
            raise UnexpectedResponse(200, None, "message is not an object", body)
        return body

    async def get_messages(
        self,
        channel_id: str,
        *,
        limit: int = 50,
        before: str | None = None,
        after: str | None = None,
        around: str | None = None,
    ) -> list[dict[str, Any]]:
        """Recent channel messages, newest first (reconciliation after a crash)."""
        params: dict[str, Any] = {"limit": max(1, min(limit, 100))}
        for key, value in (("before", before), ("after", after), ("around", around)):
            if value is not None:
                params[key] = value
        body = (await self.request("GET", f"/channels/{channel_id}/messages", params=params)).json()
        return [m for m in body if isinstance(m, dict)] if isinstance(body, list) else []

    async def submit_inpaint(
        self, body: Mapping[str, Any], *, url: str = DEFAULT_INPAINT_URL
    ) -> dict[str, Any]:
        """Vary (Region) mask submit; see `commands.inpaint_submit` for the body.

        The editor is a web page the Discord client shows in an iframe; its own script posts
        here with the browser's headers only. No token: the `customId` authorises the job.
        """
        headers = {
            "User-Agent": self._headers["User-Agent"],
            "Accept-Language": self._headers["Accept-Language"],
            "Origin": _web_origin(url),
        }
        response = await self.request(
            "POST", url, json=dict(body), retry_ambiguous=False, authorized=False, headers=headers
        )
        result = _body(response)
        if not isinstance(result, dict) or not result.get("success"):
            raise UnexpectedResponse(response.status_code, None, "inpaint not accepted", result)
        return result


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = httpx.URL(url)
    return parts.scheme, parts.host, parts.port or _DEFAULT_PORTS.get(parts.scheme)


def _web_origin(url: str) -> str:
    """The `Origin` a browser page at `url` sends: scheme and host (and a non-default port)."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode('ascii')}"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def _as_rate_limited(response: httpx.Response) -> RateLimited:
    error: DiscordHTTPError = error_from_response(429, _body(response), response.headers)
    assert isinstance(error, RateLimited)
    return error
