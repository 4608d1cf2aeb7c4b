"""Discordxy routes (spec §B): `/mj/imagine|change|status` (and the pre-2024 `/mj/submit/…`
paths), `/client/online`, `/pika/create|animate|status`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from app.api.bodies import read_json, read_upload
from app.api.endpoint import endpoint, origin_of
from app.api.service import TaskService
from app.dialects import discordxy as dx
from app.domain.errors import CommandError, ErrorKind
from app.domain.task import Task
from db import api_accounts
from db import tasks as q

ep = endpoint(dx.DIALECT)


async def _body(request: Request, svc: TaskService) -> object:
    """Discordxy's JSON bodies carry no images (a reference image is a URL in the prompt)."""
    return await read_json(request, svc.limits.body_bytes)


def _query(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise CommandError(ErrorKind.INVALID, f"{name} is required")
    return value


@ep
async def imagine(request: Request, svc: TaskService) -> bytes:
    """`{"prompt": "…"}`; a reference image is a URL at the start of the prompt."""
    cmd = dx.parse_imagine(await _body(request, svc), svc.limits)
    return dx.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def change(request: Request, svc: TaskService) -> bytes:
    """`{"taskId", "action"}` with action U1–U4, V1–V4, Reroll, UpscaleSubtle, … PanDown."""
    cmd = dx.parse_change(await _body(request, svc))
    return dx.submitted(await svc.press(cmd, origin_of(request)))


async def _status(svc: TaskService, task_id: str, *, by_nonce: bool = False) -> bytes:
    async with svc.engine.connect() as conn:
        row = await (q.get_task_by_id_or_nonce if by_nonce else q.get_task)(conn, task_id)
    task = svc.visible(Task.from_row(row)) if row is not None else None
    if task is None:
        raise CommandError(ErrorKind.TASK_NOT_FOUND, f"task {task_id} does not exist")
    return dx.task_bytes(task)


@ep
async def status(request: Request, svc: TaskService) -> bytes:
    """The status object of `taskId`."""
    return await _status(svc, _query(request, "taskId"))


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


@ep
async def pika_create(request: Request, svc: TaskService) -> bytes:
    """Pika `/create`: `{"prompt": "…"}` (English)."""
    cmd = dx.parse_pika_create(await _body(request, svc), svc.limits)
    return dx.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def pika_animate(request: Request, svc: TaskService) -> bytes:
    """Pika `/animate`: multipart `file` (image) + `prompt`."""
    fields, image = await read_upload(request, svc.limits.upload_body(), svc.max_image_bytes)
    cmd = dx.parse_pika_animate(fields.get("prompt"), image, svc.limits)
    return dx.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def pika_status(request: Request, svc: TaskService) -> bytes:
    """The status object of a Pika task, by `nonce` (our task id, or the interaction nonce)."""
    return await _status(svc, _query(request, "nonce"), by_nonce=True)


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
