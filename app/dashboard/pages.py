"""The dashboard's pages (GET): tasks with the submit form, one task, accounts, login.

Fragments (`…/card`, `…/panel`, `/dashboard/accounts/table`) are the same template parts the
pages include; the page script swaps them in when the event stream says something changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.dashboard import auth
from app.dashboard.templates import render
from app.dashboard.views import STATUSES, button_views, file_path, shown_image
from app.dialects import DIALECTS
from app.domain.task import Task
from db import accounts as account_queries
from db import dashboard as dash
from db import redelivery as delivery_queries
from db import tasks as q

Endpoint = Callable[[Request], Awaitable[Response]]
SUBMIT_KINDS = (
    ("imagine", "Imagine"),
    ("blend", "Blend (2–5 images)"),
    ("describe", "Describe (1 image)"),
    ("shorten", "Shorten a prompt"),
    ("pika_create", "Pika: create a video"),
    ("pika_animate", "Pika: animate an image"),
)


def guarded(fragment: bool = False) -> Callable[[Endpoint], Endpoint]:
    """Signed-in only: pages send others to the login form, fragments answer 401."""

    def wrap(handler: Endpoint) -> Endpoint:
        async def run(request: Request) -> Response:
            if not await auth.signed_in(request):
                if fragment:
                    return JSONResponse({"error": "sign in first"}, status_code=401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/dashboard/login?next={_quote(target)}", 303)
            return await handler(request)

        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run

    return wrap


def _quote(path: str) -> str:
    return quote(path, safe="/")


def task_item(task: Task) -> dict[str, Any]:
    """A task with what its templates need beside the row."""
    thumb = f"/dashboard/thumbs/{task.id}.webp?v={task.event_seq}" if task.image_url else None
    return {
        "task": task,
        "image": shown_image(task),
        "thumb": thumb or task.preview_url,
        "video": file_path(task, "video"),
        "buttons": button_views(task),
    }


def _filter(request: Request) -> dash.TaskFilter:
    params = request.query_params

    def pick(name: str) -> str | None:
        value = params.get(name, "").strip()
        return value or None

    return dash.TaskFilter(status=pick("status"), account=pick("account"), dialect=pick("dialect"))


async def _task_list_context(conn: AsyncConnection, where: dash.TaskFilter) -> dict[str, Any]:
    rows = await dash.list_tasks(conn, where)
    accounts = await account_queries.list_accounts(conn)
    dialects = sorted({*DIALECTS, *await dash.task_dialects(conn)})
    return {
        "items": [task_item(Task.from_row(r)) for r in rows],
        "where": where,
        "statuses": STATUSES,
        "accounts": accounts,
        "dialects": dialects,
        "kinds": SUBMIT_KINDS,
    }


async def index(request: Request) -> Response:
    return RedirectResponse("/dashboard", 303)


async def tasks_page_response(
    request: Request, form: dict[str, Any] | None = None, error: str | None = None
) -> Response:
    async with request.app.state.engine.connect() as conn:
        context = await _task_list_context(conn, _filter(request))
    context.update(form=form or {}, error=error, page="tasks")
    return render(request, "tasks.html", context, 400 if error else 200)


@guarded()
async def tasks_page(request: Request) -> Response:
    """Submit form, filters, and the newest tasks."""
    return await tasks_page_response(request)


async def _task_detail(conn: AsyncConnection, task_id: str) -> dict[str, Any] | None:
    row = await q.get_task(conn, task_id)
    if row is None:
        return None
    task = Task.from_row(row)
    deliveries = await delivery_queries.list_task_deliveries(conn, task_id) or []
    return {
        **task_item(task),
        "events": await q.list_task_events(conn, task_id),
        "deliveries": deliveries,
        "children": await dash.child_tasks(conn, task_id),
    }


async def task_page_response(request: Request, task_id: str, error: str | None = None) -> Response:
    async with request.app.state.engine.connect() as conn:
        detail = await _task_detail(conn, task_id)
    if detail is None:
        context = {"page": "tasks", "missing": task_id}
        return render(request, "missing.html", context, 404)
    detail.update(page="tasks", error=error)
    return render(request, "task.html", detail, 400 if error else 200)


@guarded()
async def task_page(request: Request) -> Response:
    """One task: media, prompts, buttons, events, deliveries."""
    return await task_page_response(request, request.path_params["task_id"])


@guarded(fragment=True)
async def task_panel(request: Request) -> Response:
    async with request.app.state.engine.connect() as conn:
        detail = await _task_detail(conn, request.path_params["task_id"])
    if detail is None:
        return JSONResponse({"error": "no such task"}, status_code=404)
    return render(request, "_task_panel.html", detail)


@guarded(fragment=True)
async def task_card(request: Request) -> Response:
    async with request.app.state.engine.connect() as conn:
        row = await q.get_task(conn, request.path_params["task_id"])
    if row is None:
        return JSONResponse({"error": "no such task"}, status_code=404)
    return render(request, "_task_card.html", task_item(Task.from_row(row)))


async def _accounts_context(conn: AsyncConnection) -> dict[str, Any]:
    accounts = await account_queries.list_accounts(conn)
    load = await dash.account_load(conn)
    return {
        "accounts": [{"row": a, "load": load.get(a["id"], (0, 0))} for a in accounts],
        "unassigned": load.get(None, (0, 0))[1],
    }


async def accounts_page_response(request: Request, error: str | None = None) -> Response:
    async with request.app.state.engine.connect() as conn:
        context = await _accounts_context(conn)
    context.update(page="accounts", error=error)
    return render(request, "accounts.html", context, 400 if error else 200)


@guarded()
async def accounts_page(request: Request) -> Response:
    """Accounts: health and its reason, mode, load, enable/disable."""
    return await accounts_page_response(request)


@guarded(fragment=True)
async def accounts_table(request: Request) -> Response:
    async with request.app.state.engine.connect() as conn:
        context = await _accounts_context(conn)
    return render(request, "_accounts_table.html", context)


async def login_page(request: Request) -> Response:
    if not auth.login_required(request.app.state.settings) or await auth.signed_in(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    context = {"next": safe_next(request.query_params.get("next")), "page": "login"}
    return render(request, "login.html", context)


def safe_next(target: str | None) -> str:
    """Only a dashboard path on this site (no open redirect)."""
    if not target or not target.startswith("/dashboard") or target.startswith("//"):
        return "/dashboard"
    if any(c in target for c in "\\\r\n"):
        return "/dashboard"
    return target
