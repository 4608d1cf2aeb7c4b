"""Discordxy routes (spec §B): `/mj/imagine|change|status` (and the pre-2024 `/mj/submit/…`
paths), `/client/online`, `/pika/create|animate|status`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute

from app.api import account_reads
from app.api.endpoint import endpoint, route_table
from app.api.service import TaskService
from app.api.submit_route import json_body, submit_endpoints, upload_body
from app.dialects import discordxy as dx
from app.dialects import discordxy_requests as dx_requests
from app.domain.errors import CommandError, ErrorKind

ep = endpoint(dx.DIALECT)
JSON = json_body()  # Discordxy's JSON carries no image: a reference image is a URL in the prompt

# path -> (body reader, parser); each parser's docstring says what the body holds.
SUBMITS = submit_endpoints(
    ep,
    dx.submitted,
    {
        "/mj/imagine": (JSON, dx_requests.parse_imagine),
        "/mj/change": (JSON, dx_requests.parse_change),
        "/pika/create": (JSON, dx_requests.parse_pika_create),
        "/pika/animate": (upload_body, dx_requests.parse_pika_animate),
    },
)
# Also served under MJRELAY_SUBMIT_DIALECT (app/api/routing.py).
imagine = SUBMITS["/mj/imagine"]
change = SUBMITS["/mj/change"]


def _query(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise CommandError(ErrorKind.INVALID, f"{name} is required")
    return value


@ep
async def status(request: Request, svc: TaskService) -> bytes:
    """The status object of `taskId`."""
    return dx.task_bytes(await svc.require_task(_query(request, "taskId")))


@ep
async def pika_status(request: Request, svc: TaskService) -> bytes:
    """The status object of a Pika task, by `nonce` (our task id, or the interaction nonce)."""
    return dx.task_bytes(await svc.require_task(_query(request, "nonce"), or_nonce=True))


@ep
async def client_online(request: Request, svc: TaskService) -> bytes:
    """Which accounts are online (enabled and healthy)."""
    return dx.ok(
        [dx.render_account(row) for row in await account_reads.public_accounts(svc.engine)]
    )


def routes(*, submit_imagine_change: bool = True) -> list[BaseRoute]:
    """The native paths; `/mj/submit/imagine|change` too unless the shared route serves them."""
    submits = dict(SUBMITS)
    if submit_imagine_change:
        submits.update({"/mj/submit/imagine": imagine, "/mj/submit/change": change})
    get = {
        "/mj/status": status,
        "/mj/submit/status": status,
        "/client/online": client_online,
        "/pika/status": pika_status,
    }
    return route_table(get=get, post=submits)
