"""The secret a request presents: `mj-api-secret`, `Authorization: Bearer …`, or a bare token.

Who that makes the caller (a dialect's secret, a client key): app/api/callers.py.
"""

from __future__ import annotations

from starlette.requests import Request


def presented_secret(request: Request) -> str | None:
    header = request.headers.get("mj-api-secret")
    if header:
        return header.strip()
    auth = request.headers.get("authorization", "").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return auth or None
