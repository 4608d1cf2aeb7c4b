"""Who may use the dashboard: a login form that starts a server-side session.

The dashboard signs in with `MJRELAY_ADMIN_SECRET`, or, when no admin secret is set, with any
API secret (the shared one or a dialect's): the dashboard reads every client's tasks, so it is
never open while any secret is configured. With no secret at all it is open, like the API.

A session is a random id. The cookie carries `<id>.<hmac>` (keyed by a hash of the sign-in
secrets, so changing a secret signs everyone out); the database keeps only the id's SHA-256 and
its expiry, so signing out deletes the row and the old cookie is refused by every web process.
Scripts reading `GET /events` may send a secret as `Authorization: Bearer …` or `mj-api-secret`
instead, or a client key, which streams that key's own tasks only (docs/keys.md). Secrets are
compared in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from app.api import callers
from app.api.access import admin_secrets, secret_matches
from app.api.callers import OPERATOR, Caller
from app.config import Settings
from db import dashboard_auth as q

COOKIE = "mjrelay_session"
SESSION_TTL_S = 7 * 24 * 3600
_MAX_COOKIE = 200


def login_secrets(settings: Settings) -> list[str]:
    """The secrets that sign in: the admin secret, else every API secret."""
    return admin_secrets(settings)


def login_required(settings: Settings) -> bool:
    return bool(login_secrets(settings))


def _key(secrets_: list[str]) -> bytes:
    material = "\x00".join(sorted(secrets_)).encode("utf-8")
    return hashlib.sha256(b"mjrelay dashboard session\x00" + material).digest()


def _sign(secrets_: list[str], session_id: str) -> str:
    return hmac.new(_key(secrets_), session_id.encode(), hashlib.sha256).hexdigest()


def cookie_value(secrets_: list[str], session_id: str) -> str:
    return f"{session_id}.{_sign(secrets_, session_id)}"


def session_id_of(secrets_: list[str], value: str | None) -> str | None:
    """The session id a cookie carries, if its signature holds under the current secrets."""
    if not value or len(value) > _MAX_COOKIE or "." not in value:
        return None
    session_id, signature = value.rsplit(".", 1)
    if not session_id or not hmac.compare_digest(
        signature.encode("utf-8", "replace"), _sign(secrets_, session_id).encode()
    ):
        return None
    return session_id


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def valid_login(settings: Settings, presented: str | None) -> bool:
    return any(secret_matches(presented, s) for s in login_secrets(settings))


async def signed_in(request: Request) -> bool:
    """May this request use the dashboard (open, or a live session)?"""
    secrets_ = login_secrets(_settings(request))
    if not secrets_:
        return True
    session_id = session_id_of(secrets_, request.cookies.get(COOKIE))
    if session_id is None:
        return False
    async with request.app.state.engine.connect() as conn:
        return await q.session_alive(conn, _id_hash(session_id))


async def events_reader(request: Request) -> Caller | None:
    """`GET /events`: a dashboard session, the admin secret or any API secret in a header (all
    tasks), or a client key (its own tasks); None when refused."""
    caller = await callers.reader(request)
    if caller is not None:
        return caller
    return OPERATOR if await signed_in(request) else None


def same_origin(request: Request) -> bool:
    """A form post comes from this site (a CSRF guard beside the SameSite cookie)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.url.netloc


async def start_session(response: Response, request: Request) -> None:
    """A new session row and its cookie (`Secure` when the client reached us over HTTPS,
    including through a trusted TLS proxy: see docs/dashboard.md)."""
    session_id = secrets.token_urlsafe(24)
    async with request.app.state.engine.begin() as conn:
        await q.add_session(conn, _id_hash(session_id), SESSION_TTL_S)
    response.set_cookie(
        COOKIE,
        cookie_value(login_secrets(_settings(request)), session_id),
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


async def end_session(response: Response, request: Request) -> None:
    """Delete the session row (the cookie is dead everywhere), then the cookie."""
    secrets_ = login_secrets(_settings(request))
    session_id = session_id_of(secrets_, request.cookies.get(COOKIE)) if secrets_ else None
    if session_id is not None:
        async with request.app.state.engine.begin() as conn:
            await q.end_session(conn, _id_hash(session_id))
    response.delete_cookie(COOKIE, path="/")
