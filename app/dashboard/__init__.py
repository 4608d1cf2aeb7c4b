"""The web dashboard: tasks (submit, live progress, buttons, events, callbacks) and accounts.

    GET  /                                   -> /dashboard
    GET  /dashboard                          tasks + submit form (?status=&account=&dialect=)
    GET  /dashboard/tasks/{id}               one task; …/panel and …/card are its fragments
    GET  /dashboard/accounts                 accounts; …/accounts/table is its fragment
    GET  /dashboard/keys                     client keys (create, disable, usage per day)
    GET  /dashboard/thumbs/{id}.webp         a small preview of a task's result image
    GET  /events                             live task changes (SSE), docs/events.md
    POST /dashboard/submit, /dashboard/tasks/{id}/press|cancel,
         /dashboard/accounts/{id}/enable|disable, /dashboard/deliveries/{id}/redeliver,
         /dashboard/keys, /dashboard/keys/{name}/enable|disable
    GET|POST /dashboard/login, POST /dashboard/logout
    /dashboard/static/…                      CSS, ES modules, icons (shipped in the package)

Server-rendered HTML (Jinja2) that works without JavaScript; one small ES module adds the
live updates. No build step, no CDN. Docs: docs/dashboard.md.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.dashboard import actions, keys, login, pages, thumbs
from app.dashboard.stream import endpoint as events_endpoint
from app.dashboard.templates import STATIC


def routes(database_url: str) -> list[BaseRoute]:
    """The dashboard's routes; `database_url` is for the event stream's LISTEN connection."""
    return [
        Route("/", pages.index, methods=["GET"], include_in_schema=False),
        Route("/events", events_endpoint(database_url), methods=["GET"]),
        Route("/dashboard", pages.tasks_page, methods=["GET"], include_in_schema=False),
        Mount(
            "/dashboard",
            routes=[
                Mount("/static", StaticFiles(directory=STATIC), name="dashboard-static"),
                Route("/", pages.tasks_page, methods=["GET"]),
                Route("/login", pages.login_page, methods=["GET"]),
                Route("/login", login.login, methods=["POST"]),
                Route("/logout", login.logout, methods=["POST"]),
                Route("/submit", actions.submit, methods=["POST"]),
                Route("/tasks/{task_id}", pages.task_page, methods=["GET"]),
                Route("/tasks/{task_id}/panel", pages.task_panel, methods=["GET"]),
                Route("/tasks/{task_id}/card", pages.task_card, methods=["GET"]),
                Route(
                    "/thumbs/{task_id}.webp",
                    pages.guarded(fragment=True)(thumbs.thumbnail),
                    methods=["GET"],
                ),
                Route("/tasks/{task_id}/press", actions.press, methods=["POST"]),
                Route("/tasks/{task_id}/cancel", actions.cancel, methods=["POST"]),
                Route("/accounts", pages.accounts_page, methods=["GET"]),
                Route("/accounts/table", pages.accounts_table, methods=["GET"]),
                Route(
                    "/accounts/{account_id}/{verb:str}",
                    actions.set_enabled,
                    methods=["POST"],
                ),
                Route("/deliveries/{delivery_id}/redeliver", actions.redeliver, methods=["POST"]),
                Route("/keys", keys.keys_page, methods=["GET"]),
                Route("/keys", keys.create_key, methods=["POST"]),
                Route("/keys/{name}/{verb:str}", keys.set_enabled, methods=["POST"]),
            ],
            name="dashboard",
        ),
    ]


__all__ = ["routes"]
