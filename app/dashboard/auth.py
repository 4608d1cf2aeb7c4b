"""Who may use the dashboard: a login form that sets a signed session cookie.

The dashboard's secret is `MJRELAY_ADMIN_SECRET`, or `MJRELAY_API_SECRET` when no admin secret
is set (the dashboard submits tasks, so it must not be open while the API is closed). With
neither, the dashboard is open, like the API. A session cookie is `<expiry>.<hmac>`, keyed by a
hash of the secret, so changing the secret signs everyone out. Scripts reading `GET /events`
may send the secret as `Authorization: Bearer …` or `mj-api-secret` instead (the admin secret,
or the API secret). Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from starlette.requests import Request
from starlette.responses import Response

from app.api.auth import presented_secret
from app.config import Settings

COOKIE = "mjrelay_session"
SESSION_TTL_S = 7 * 24 * 3600


def dashboard_secret(settings: Settings) -> str | None:
    return settings.admin_secret or settings.api_secret or None


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"mjrelay dashboard session\x00" + secret.encode("utf-8")).digest()


def _sign(secret: str, expires: int) -> str:
    return hmac.new(_key(secret), str(expires).encode(), hashlib.sha256).hexdigest()


def session_value(secret: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + SESSION_TTL_S
    return f"{expires}.{_sign(secret, expires)}"


def valid_session(secret: str, value: str | None, now: float | None = None) -> bool:
    if not value or "." not in value:
        return False
    expires_text, signature = value.split(".", 1)
    if not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(signature.encode(), _sign(secret, expires).encode())


def secret_matches(presented: str | None, expected: str | None) -> bool:
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def signed_in(request: Request) -> bool:
    """May this request use the dashboard (open, or a valid session cookie)?"""
    secret = dashboard_secret(_settings(request))
    return secret is None or valid_session(secret, request.cookies.get(COOKIE))


def may_read_events(request: Request) -> bool:
    """`GET /events`: a dashboard session, or the admin / API secret in a header."""
    if signed_in(request):
        return True
    settings = _settings(request)
    presented = presented_secret(request)
    return any(secret_matches(presented, s) for s in (settings.admin_secret, settings.api_secret))


def same_origin(request: Request) -> bool:
    """A form post comes from this site (a CSRF guard beside the SameSite cookie)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.url.netloc


def start_session(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        session_value(secret),
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
