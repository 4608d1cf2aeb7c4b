"""Discordxy routes (spec §B): `/mj/imagine|change|status` (and the pre-2024 `/mj/submit/…`
paths), `/client/online`, `/pika/create|animate|status`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from app.api.bodies import read_json, read_upload
from app.api.endpoint import Endpoint, endpoint
from app.api.service import TaskService
from app.api.submit_route import Parse, Read, submit_handler
from app.dialects import discordxy as dx
from app.dialects import discordxy_requests as dx_requests
from app.domain.errors import CommandError, ErrorKind
from db import api_accounts

ep = endpoint(dx.DIALECT)


async def _json(request: Request, svc: TaskService) -> Any:
    """Discordxy's JSON bodies carry no images (a reference image is a URL in the prompt)."""
    return await read_json(request, svc.limits.body_bytes)


async def _upload(request: Request, svc: TaskService) -> Any:
    """Pika animate: multipart, one image `file`."""
    return await read_upload(request, svc.limits.upload_body(), svc.max_image_bytes)


def _submit(path: str, doc: str, read: Read, parse: Parse) -> Endpoint:
    return ep(submit_handler(path, doc, read, parse, dx.submitted))


imagine = _submit(
    "/mj/imagine",
    '`{"prompt": "…"}`; a reference image is a URL at the start of the prompt.',
    _json,
    lambda body, svc: dx_requests.parse_imagine(body, svc.limits),
)
change = _submit(
    "/mj/change",
    '`{"taskId", "action"}` with action U1–U4, V1–V4, Reroll, UpscaleSubtle, … PanDown.',
    _json,
    lambda body, svc: dx_requests.parse_change(body),
)
pika_create = _submit(
    "/pika/create",
    'Pika `/create`: `{"prompt": "…"}` (English).',
    _json,
    lambda body, svc: dx_requests.parse_pika_create(body, svc.limits),
)
pika_animate = _submit(
    "/pika/animate",
    "Pika `/animate`: multipart `file` (image) + `prompt`.",
    _upload,
    lambda upload, svc: dx_requests.parse_pika_animate(
        upload[0].get("prompt"), upload[1], svc.limits
    ),
)


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
    async with svc.engine.connect() as conn:
        rows = await api_accounts.list_public_accounts(conn)
    return dx.ok(
        [
            {
                "id": row["id"],
                "name": row["name"],
                "channelId": row["channel_id"],
                "bots": list(row["bots"] or []),
                "online": bool(row["enabled"] and row["health"] == "ok"),
                "health": row["health"],
            }
            for row in rows
        ]
    )


def routes(*, submit_imagine_change: bool = True) -> list[BaseRoute]:
    post, get = ["POST"], ["GET"]
    found: list[BaseRoute] = [
        Route("/mj/imagine", imagine, methods=post),
        Route("/mj/change", change, methods=post),
        Route("/mj/status", status, methods=get),
        Route("/mj/submit/status", status, methods=get),
        Route("/client/online", client_online, methods=get),
        Route("/pika/create", pika_create, methods=post),
        Route("/pika/animate", pika_animate, methods=post),
        Route("/pika/status", pika_status, methods=get),
    ]
    if submit_imagine_change:
        found += [
            Route("/mj/submit/imagine", imagine, methods=post),
            Route("/mj/submit/change", change, methods=post),
        ]
    return found
