"""Discord's JSON error bodies (`{"message", "code"}`, 50035 form errors, 429)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class DiscordError(Exception):
    """Raised inside handlers; rendered as Discord renders its errors."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body = {"code": self.code, "errors": self.errors, "message": self.message}
        return JSONResponse(body, status_code=self.status, headers=headers)


def form_error(path: list[str | int], code: str, message: str) -> DiscordError:
    """400 50035 "Invalid Form Body" with the field's error nested at `path`."""
    errors: Any = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


UNAUTHORIZED = DiscordError(401, 0, "401: Unauthorized")
NOT_FOUND = DiscordError(404, 0, "404: Not Found")
UNKNOWN_CHANNEL = DiscordError(404, 10003, "Unknown Channel")
UNKNOWN_GUILD = DiscordError(404, 10004, "Unknown Guild")
UNKNOWN_MEMBER = DiscordError(404, 10007, "Unknown Member")
UNKNOWN_MESSAGE = DiscordError(404, 10008, "Unknown Message")
UNKNOWN_USER = DiscordError(404, 10013, "Unknown User")
UNKNOWN_APPLICATION = DiscordError(404, 10002, "Unknown Application")
UNKNOWN_COMMAND = DiscordError(404, 10063, "Unknown application command")
UNKNOWN_INTERACTION = DiscordError(404, 10062, "Unknown interaction")
INVALID_JSON = DiscordError(400, 50109, "The request body contains invalid JSON.")
MISSING_ACCESS = DiscordError(403, 50001, "Missing Access")


def not_snowflake(name: str, value: str) -> DiscordError:
    """400 50035 for a path or query id that is not a snowflake."""
    return form_error([name], "NUMBER_TYPE_COERCE", f'Value "{value[:40]}" is not snowflake.')


def rate_limited_body(retry_after: float) -> dict[str, Any]:
    return {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
