"""API secrets: `mj-api-secret` or `Authorization: Bearer …` (or a bare token), constant time."""

from __future__ import annotations

import hmac

from starlette.requests import Request


def presented_secret(request: Request) -> str | None:
    header = request.headers.get("mj-api-secret")
    if header:
        return header.strip()
    auth = request.headers.get("authorization", "").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return auth or None


def is_authorized(request: Request, expected: str | None) -> bool:
    """True when no secret is configured, or the request carries it."""
    if not expected:
        return True
    presented = presented_secret(request)
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))
