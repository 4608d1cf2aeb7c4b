"""The dashboard's Keys page (admin only: the dashboard signs in with the operator's secrets):
every client key with its limits and tasks per day, a form that creates one (the key is shown
once, in that answer only), and enable/disable.

    GET  /dashboard/keys                       keys, usage of the last days, the create form
    POST /dashboard/keys                       create; the page again with the new key shown
    POST /dashboard/keys/{name}/enable|disable
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.api.bodies import read_form_data
from app.dashboard.actions import form_post
from app.dashboard.pages import guarded
from app.dashboard.templates import render
from app.domain.errors import CommandError
from app.domain.keys import (
    MAX_LIMIT,
    NAME_CHARS,
    check_name,
    key_hash,
    new_key,
    parse_rate,
    shown_prefix,
)
from db import api_keys as q
from db.tasks import storable

USAGE_DAYS = 7
FORM_MAX_BYTES = 16 * 1024
DIALECTS = ("discordxy", "webman", "novicezk")


def _days(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(USAGE_DAYS)]


async def _context(request: Request) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    days = _days(today)
    async with request.app.state.engine.connect() as conn:
        keys = await q.list_keys(conn)
        usage = {}
        for key in keys:
            counts = {
                row["day"]: row["tasks"] for row in await q.days_of(conn, key["id"], days[-1])
            }
            usage[key["id"]] = [counts.get(day, 0) for day in days]
    return {"keys": keys, "usage": usage, "days": days, "page": "keys", "dialects": DIALECTS}


async def keys_page_response(
    request: Request,
    *,
    error: str | None = None,
    created: tuple[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    context = await _context(request)
    context.update(error=error, created=created, form=form or {})
    return render(request, "keys.html", context, 400 if error else 200)


@guarded()
async def keys_page(request: Request) -> Response:
    """Client keys: limits, today's use, tasks per day; create, disable, enable."""
    return await keys_page_response(request)


def _optional_int(form: dict[str, str], name: str) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValueError(f"{name.replace('_', ' ')} must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _limits(form: dict[str, str]) -> dict[str, Any]:
    rate = form.get("rate", "").strip()
    expires = form.get("expires", "").strip()
    dialects = [d for d in DIALECTS if form.get(f"dialect_{d}")]
    accounts = [a.strip() for a in form.get("accounts", "").split(",") if a.strip()]
    expires_at = None
    if expires:
        try:
            day = date.fromisoformat(expires)
            expires_at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        except (ValueError, OverflowError):
            raise ValueError(f"last day {expires[:40]!r}: expected YYYY-MM-DD") from None
    return {
        "admin": bool(form.get("admin")),
        "daily_limit": _optional_int(form, "daily_limit"),
        "total_limit": _optional_int(form, "total_limit"),
        "concurrency": _optional_int(form, "concurrency"),
        "rate_per_min": parse_rate(rate) if rate else None,
        "expires_at": expires_at,
        "dialects": dialects if dialects and len(dialects) < len(DIALECTS) else None,
        "accounts": accounts or None,
    }


@form_post
async def create_key(request: Request) -> Response:
    """Create a key; the answer (not a redirect, never cached) shows it once."""
    try:
        data = await read_form_data(request, FORM_MAX_BYTES, max_files=0, max_part=1024)
    except CommandError as exc:
        return await keys_page_response(request, error=exc.message)
    form = {k: v for k, v in data.items() if isinstance(v, str) and storable(v)}
    try:
        name = check_name(form.get("name", ""))
        limits = _limits(form)
    except ValueError as exc:
        return await keys_page_response(request, error=str(exc), form=form)
    key = new_key()
    try:
        async with request.app.state.engine.begin() as conn:
            await q.insert_key(
                conn, name=name, key_hash=key_hash(key), key_prefix=shown_prefix(key), **limits
            )
    except q.KeyNameTaken:
        return await keys_page_response(request, error=f"a key named {name!r} exists", form=form)
    return await keys_page_response(request, created=(name, key))


@form_post
async def set_enabled(request: Request) -> Response:
    """`/dashboard/keys/{name}/enable|disable`."""
    name, verb = request.path_params["name"], request.path_params["verb"]
    if verb not in ("enable", "disable") or not NAME_CHARS.match(name) or len(name) > 64:
        return JSONResponse({"error": "not found"}, status_code=404)
    async with request.app.state.engine.begin() as conn:
        found = await q.set_enabled(conn, name, verb == "enable")
    if not found:
        return await keys_page_response(request, error=f"no key {name!r}")
    return RedirectResponse("/dashboard/keys", 303)
