"""Signing in and out of the dashboard (the secret is checked in constant time, never logged)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.dashboard import auth
from app.dashboard.pages import safe_next
from app.dashboard.templates import render

log = logging.getLogger(__name__)


async def login(request: Request) -> Response:
    """The login form's post: `secret`, `next`."""
    form = await request.form(max_files=0, max_fields=5)
    target = safe_next(str(form.get("next") or ""))
    secret = auth.dashboard_secret(request.app.state.settings)
    if secret is None:
        return RedirectResponse(target, 303)
    presented = form.get("secret")
    if not auth.same_origin(request) or not auth.secret_matches(
        presented if isinstance(presented, str) else None, secret
    ):
        client = request.client.host if request.client else "?"
        log.warning("dashboard sign-in refused", extra={"client": client})
        context = {"next": target, "page": "login", "error": "That is not the secret."}
        return render(request, "login.html", context, 401)
    response = RedirectResponse(target, 303)
    auth.start_session(response, request, secret)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/dashboard/login", 303)
    auth.end_session(response)
    return response
