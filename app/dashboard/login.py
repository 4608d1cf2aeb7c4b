"""Signing in and out of the dashboard.

The secret is checked in constant time and never logged. Failed sign-ins are counted per client
address in Postgres (so the limit holds across every web process): after `LOGIN_MAX_FAILURES`
failures within `LOGIN_WINDOW_S`, that address gets 429 until the window ends, without its
secret being checked.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.api.bodies import read_form_data
from app.api.endpoint import closing
from app.dashboard import auth
from app.dashboard.pages import safe_next
from app.dashboard.templates import render
from app.domain.errors import CommandError
from db import dashboard_auth as q

log = logging.getLogger(__name__)

LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW_S = 15 * 60
LOGIN_FORM_MAX_BYTES = 16 * 1024


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


async def login(request: Request) -> Response:
    """The login form's post: `secret`, `next`."""
    try:  # read before any check: so at most a few kilobytes, never what the client sends
        form = await read_form_data(request, LOGIN_FORM_MAX_BYTES, max_files=0, max_part=4096)
    except CommandError as exc:
        context = {"next": "/dashboard", "page": "login", "error": exc.message}
        return closing(request, render(request, "login.html", context, 400))
    target = safe_next(str(form.get("next") or ""))
    settings = request.app.state.settings
    if not auth.login_required(settings):
        return RedirectResponse(target, 303)
    if not auth.same_origin(request):
        # Refused unchecked and uncounted: another site must not lock the admin out.
        context = {"next": target, "page": "login", "error": "Sign in from this page."}
        return render(request, "login.html", context, 403)
    client = _client(request)
    engine = request.app.state.engine
    async with engine.connect() as conn:
        failures = await q.failures_in_window(conn, client, LOGIN_WINDOW_S)
    if failures >= LOGIN_MAX_FAILURES:
        log.warning("dashboard sign-in rate limited", extra={"client": client})
        context = {
            "next": target,
            "page": "login",
            "error": "Too many failed sign-ins from your address. Try again in a few minutes.",
        }
        limited = render(request, "login.html", context, 429)
        limited.headers["Retry-After"] = str(LOGIN_WINDOW_S)
        return limited
    presented = form.get("secret")
    if not auth.valid_login(settings, presented if isinstance(presented, str) else None):
        async with engine.begin() as conn:
            await q.add_failure(conn, client, LOGIN_WINDOW_S)
        log.warning("dashboard sign-in refused", extra={"client": client})
        context = {"next": target, "page": "login", "error": "That is not the secret."}
        return render(request, "login.html", context, 401)
    async with engine.begin() as conn:
        await q.clear_failures(conn, client)
    response = RedirectResponse(target, 303)
    await auth.start_session(response, request)
    return response


async def logout(request: Request) -> Response:
    """Ends the session server-side: its cookie is refused from now on, wherever it is sent.
    A cross-site post is refused like every other dashboard form post: another site must not
    sign the admin out."""
    if not auth.same_origin(request):
        return JSONResponse({"error": "cross-site form post refused"}, status_code=403)
    response = RedirectResponse("/dashboard/login", 303)
    await auth.end_session(response, request)
    return response
