"""Discord REST transport for one user account (httpx): one API call at a time, done right.
Thin: the policy lives in pure modules (`ratelimit`, `errors`).

- `Authorization` is the raw user token (no `Bot ` prefix) and is sent only to `api_base`'s
  origin (scheme, host and port), whatever the caller asks: the upload PUT (a storage URL) and
  the Vary (Region) editor (the bot's activity host, `…discordsays.com`) never see it, nor the
  Discord client headers (`X-Super-Properties`).
- 429: wait `retry_after` (per route bucket, or globally) and retry; a 429 never counts as sent.
- 5xx and network errors: retried with tenacity (exponential backoff + jitter). A call that must
  not run twice (`retry_ambiguous=False`, e.g. `send_interaction`) retries only failures that
  cannot have reached Discord (connect errors, 429): a 5xx or a read timeout may have created
  the interaction, and submitting twice is worse than failing — the caller reconciles through
  the gateway or `get_messages`.
- Every non-success response becomes a typed error from `errors.error_from_response`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

from app.discord.constants import DEFAULT_API_BASE
from app.discord.errors import (
    DiscordHTTPError,
    RateLimited,
    ServerError,
    TransportError,
    error_from_response,
)
from app.discord.properties import ClientProperties
from app.discord.ratelimit import RateLimiter, route_key

DEFAULT_TIMEOUT = 30.0
# Connection never established: the request cannot have reached Discord.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RestTransport:
    """One account's calls to Discord's API: authorization scoped to its origin, rate limits,
    retries, typed errors. `DiscordRest` (rest.py) adds the endpoints."""

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

    def __repr__(self) -> str:  # never show the token
        return f"<{type(self).__name__} {self.api_base}>"

    async def __aenter__(self) -> Self:
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
                raise error_from_response(
                    response.status_code, response_body(response), response.headers
                )
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


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = httpx.URL(url)
    return parts.scheme, parts.host, parts.port or _DEFAULT_PORTS.get(parts.scheme)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def response_body(response: httpx.Response) -> Any:
    """The JSON of a response, or the start of its text when it is not JSON (for errors)."""
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def _as_rate_limited(response: httpx.Response) -> RateLimited:
    error: DiscordHTTPError = error_from_response(429, response_body(response), response.headers)
    assert isinstance(error, RateLimited)
    return error
