"""Errors of the Discord layer (h11-style Local vs Remote split).

    MjRelayError
     └── DiscordError
          ├── DiscordLocalError            we asked for something Discord calls invalid
          │    ├── CommandNotFound         the command index has no such command
          │    ├── InvalidFormBody         400 (50035: bad payload, stale command version…)
          │    ├── BadRequest              400 other
          │    └── NotFound                404
          │         ├── UnknownChannel     10003
          │         └── UnknownMessage     10008
          └── DiscordRemoteError           Discord refused, misbehaved or was unreachable
               ├── Unauthorized            401: bad token → account unusable
               ├── Forbidden               403
               │    └── MissingAccess      50001 (50013 missing permissions too)
               ├── RateLimited             429 that we chose not to wait out
               ├── ServerError             5xx
               ├── UnexpectedResponse      2xx/3xx we did not expect (e.g. 200 where 204 is due)
               └── TransportError          network failure; `maybe_sent` says if it may have landed

A fatal gateway close (4004 bad token …) is not an exception: the gateway reports it as the
`gateway_events.GatewayFatal` event.

HTTP errors also derive from `DiscordHTTPError` (status, code, message). Which errors disable an
account is the worker's policy (`app.worker.health`). Messages never contain the token: bodies
come from Discord, and URLs carry no secrets.
"""

from __future__ import annotations

from typing import Any

from app.errors import MjRelayError


class DiscordError(MjRelayError):
    pass


class DiscordLocalError(DiscordError):
    pass


class DiscordRemoteError(DiscordError):
    pass


class CommandNotFound(DiscordLocalError):
    def __init__(self, name: str, application_id: str | None) -> None:
        super().__init__(
            f"command /{name} not in the application-command index"
            f" (application {application_id or 'any'})"
        )
        self.name = name
        self.application_id = application_id


class DiscordHTTPError(DiscordError):
    def __init__(self, status: int, code: int | None, message: str, body: Any = None) -> None:
        super().__init__(
            f"Discord HTTP {status}" + (f" code {code}" if code else "") + f": {message}"
        )
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class BadRequest(DiscordHTTPError, DiscordLocalError):
    pass


class InvalidFormBody(BadRequest):
    pass


class NotFound(DiscordHTTPError, DiscordLocalError):
    pass


class UnknownChannel(NotFound):
    pass


class UnknownMessage(NotFound):
    pass


class Unauthorized(DiscordHTTPError, DiscordRemoteError):
    pass


class Forbidden(DiscordHTTPError, DiscordRemoteError):
    pass


class MissingAccess(Forbidden):
    pass


class RateLimited(DiscordHTTPError, DiscordRemoteError):
    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        body: Any = None,
        *,
        retry_after: float = 0.0,
        is_global: bool = False,
    ) -> None:
        super().__init__(status, code, f"{message} (retry after {retry_after:.3f}s)", body)
        self.retry_after = retry_after
        self.is_global = is_global


class ServerError(DiscordHTTPError, DiscordRemoteError):
    pass


class UnexpectedResponse(DiscordHTTPError, DiscordRemoteError):
    pass


class TransportError(DiscordRemoteError):
    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


_BY_CODE: dict[int, type[DiscordHTTPError]] = {
    50035: InvalidFormBody,
    10003: UnknownChannel,
    10008: UnknownMessage,
    50001: MissingAccess,
    50013: MissingAccess,
}
_BY_STATUS: dict[int, type[DiscordHTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
}


def error_from_response(status: int, body: Any, headers: Any = None) -> DiscordHTTPError:
    """The typed error for a non-success response; `body` is the decoded JSON or text."""
    data = body if isinstance(body, dict) else {}
    code = data.get("code") if isinstance(data.get("code"), int) else None
    message = str(data.get("message") or (body if isinstance(body, str) else "") or "")[:300]
    if status == 429:
        return RateLimited(
            status,
            code,
            message or "rate limited",
            body,
            retry_after=_retry_after(data, headers),
            is_global=_is_global(data, headers),
        )
    if status >= 500:
        return ServerError(status, code, message or "server error", body)
    base = _BY_STATUS.get(status)
    if base is None:
        cls: type[DiscordHTTPError] = BadRequest if 400 <= status < 500 else UnexpectedResponse
    else:
        special = _BY_CODE.get(code) if code is not None else None
        cls = special if special is not None and issubclass(special, base) else base
    return cls(status, code, message or f"HTTP {status}", body)


def _retry_after(data: dict[str, Any], headers: Any) -> float:
    value = data.get("retry_after")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(float(value), 0.0)
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(float(raw), 0.0) if raw is not None else 1.0
    except ValueError:
        return 1.0


def _is_global(data: dict[str, Any], headers: Any) -> bool:
    if data.get("global") is True:
        return True
    if headers is None:
        return False
    return (
        str(headers.get("X-RateLimit-Global", "")).lower() == "true"
        or str(headers.get("X-RateLimit-Scope", "")).lower() == "global"
    )
