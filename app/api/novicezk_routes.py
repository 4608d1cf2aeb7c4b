"""novicezk / plus routes (`/mj/submit/*`, `/mj/task/*`, `/mj/account/*`), spec §C and §E."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from app.api.bodies import read_json
from app.api.endpoint import endpoint, origin_of
from app.api.service import TaskService
from app.dialects import novicezk as nz
from app.dialects.common import dumps
from app.domain.errors import CommandError, ErrorKind
from app.domain.limits import BLEND_MAX_IMAGES
from app.domain.task import Task
from db import api_accounts
from db import tasks as q

ep = endpoint(nz.DIALECT)


async def _body(request: Request, svc: TaskService, images: int = 0) -> object:
    """The JSON body, with room for `images` base64 images besides the small fields."""
    return await read_json(request, svc.limits.body_with_images(images))


@ep
async def submit_imagine(request: Request, svc: TaskService) -> bytes:
    """Imagine: `prompt`, optional `base64Array` (data URLs), `notifyHook`, `state`, `botType`."""
    body = await _body(request, svc, svc.limits.imagine_images)
    cmd = nz.parse_imagine(body, svc.max_image_bytes, svc.limits)
    return nz.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def submit_change(request: Request, svc: TaskService) -> bytes:
    """U/V/reroll on a finished task: `taskId`, `action` UPSCALE|VARIATION|REROLL, `index`."""
    cmd = nz.parse_change(await _body(request, svc))
    return nz.submitted(await svc.press(cmd, origin_of(request)))


@ep
async def submit_simple_change(request: Request, svc: TaskService) -> bytes:
    """`content`: "<taskId> U1".."V4" or "<taskId> R"."""
    cmd = nz.parse_simple_change(await _body(request, svc))
    return nz.submitted(await svc.press(cmd, origin_of(request)))


@ep
async def submit_describe(request: Request, svc: TaskService) -> bytes:
    """Describe one image: `base64` data URL (or trueai's `link`)."""
    cmd = nz.parse_describe(await _body(request, svc, 1), svc.max_image_bytes)
    return nz.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def submit_blend(request: Request, svc: TaskService) -> bytes:
    """Blend 2–5 images: `base64Array`, `dimensions` PORTRAIT|SQUARE|LANDSCAPE."""
    body = await _body(request, svc, BLEND_MAX_IMAGES)
    cmd = nz.parse_blend(body, svc.max_image_bytes)
    return nz.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def submit_shorten(request: Request, svc: TaskService) -> bytes:
    """Shorten a prompt (plus): `prompt`."""
    cmd = nz.parse_shorten(await _body(request, svc), svc.limits)
    return nz.submitted(await svc.create(cmd, origin_of(request)))


@ep
async def submit_action(request: Request, svc: TaskService) -> bytes:
    """Press a button of a finished task (plus): `taskId`, `customId`. Modal buttons -> 21."""
    cmd = nz.parse_action(await _body(request, svc))
    return nz.submitted(await svc.press(cmd, origin_of(request)))


@ep
async def submit_modal(request: Request, svc: TaskService) -> bytes:
    """Modal input for a task in MODAL (plus): `taskId`, `prompt`, `maskBase64`."""
    cmd = nz.parse_modal(await _body(request, svc, 1), svc.max_image_bytes, svc.limits)
    return nz.submitted(await svc.submit_modal(cmd))


async def _task(svc: TaskService, task_id: str) -> Task:
    task = await svc.get_task(task_id)
    if task is None:
        raise CommandError(ErrorKind.TASK_NOT_FOUND, f"task {task_id} does not exist")
    return task


@ep
async def task_fetch(request: Request, svc: TaskService) -> bytes:
    """The task JSON (also the callback body of novicezk tasks)."""
    return nz.task_bytes(await _task(svc, request.path_params["id"]))


@ep
async def task_cancel(request: Request, svc: TaskService) -> bytes:
    """Cancel a task that has not finished."""
    task = await svc.cancel(nz.parse_cancel(request.path_params["id"]))
    return nz.submit_body(nz.CODE_SUCCESS, "成功", task.id)


@ep
async def task_image_seed(request: Request, svc: TaskService) -> bytes:
    """The seed of a task's image, when the worker recorded one."""
    task = await _task(svc, request.path_params["id"])
    seed = task.prop("seed")
    if seed is None:
        return nz.submit_body(
            nz.CODE_VALIDATION, "该任务没有 seed (no seed recorded for this task)"
        )
    return nz.submit_body(nz.CODE_SUCCESS, "成功", str(seed))


def _tasks_bytes(svc: TaskService, rows: list) -> bytes:
    visible = svc.visible_tasks(Task.from_row(row) for row in rows)
    return dumps([nz.render_task(task) for task in visible])


@ep
async def task_list(request: Request, svc: TaskService) -> bytes:
    """The newest 100 tasks."""
    async with svc.engine.connect() as conn:
        return _tasks_bytes(svc, await q.list_recent_tasks(conn, 100))


@ep
async def task_queue(request: Request, svc: TaskService) -> bytes:
    """Tasks waiting for an account, oldest first."""
    async with svc.engine.connect() as conn:
        return _tasks_bytes(svc, await q.list_queued_tasks(conn, 100))


@ep
async def task_list_by_condition(request: Request, svc: TaskService) -> bytes:
    """`{"ids": [...]}` (strings or numbers) -> those tasks; unknown ids skipped."""
    ids = nz.parse_ids(await _body(request, svc))
    async with svc.engine.connect() as conn:
        return _tasks_bytes(svc, await q.get_tasks(conn, ids))


@ep
async def account_list(request: Request, svc: TaskService) -> bytes:
    """Accounts (never their tokens)."""
    async with svc.engine.connect() as conn:
        rows = await api_accounts.list_public_accounts(conn)
    return dumps([nz.render_account(row) for row in rows])


@ep
async def account_fetch(request: Request, svc: TaskService) -> bytes:
    """One account (never its token)."""
    async with svc.engine.connect() as conn:
        row = await api_accounts.get_public_account(conn, request.path_params["id"])
    if row is None:
        raise CommandError(ErrorKind.TASK_NOT_FOUND, "account not found", description="账号不存在")
    return dumps(nz.render_account(row))


def routes(*, submit_imagine_change: bool = True) -> list[BaseRoute]:
    """The native paths (context path `/mj` included)."""
    post, get = ["POST"], ["GET"]
    found: list[BaseRoute] = []
    if submit_imagine_change:
        found += [
            Route("/mj/submit/imagine", submit_imagine, methods=post),
            Route("/mj/submit/change", submit_change, methods=post),
        ]
    found += [
        Route("/mj/submit/simple-change", submit_simple_change, methods=post),
        Route("/mj/submit/describe", submit_describe, methods=post),
        Route("/mj/submit/blend", submit_blend, methods=post),
        Route("/mj/submit/shorten", submit_shorten, methods=post),
        Route("/mj/submit/action", submit_action, methods=post),
        Route("/mj/submit/modal", submit_modal, methods=post),
        Route("/mj/task/list", task_list, methods=get),
        Route("/mj/task/queue", task_queue, methods=get),
        Route("/mj/task/list-by-condition", task_list_by_condition, methods=post),
        Route("/mj/task/list-by-ids", task_list_by_condition, methods=post),
        Route("/mj/task/{id}/fetch", task_fetch, methods=get),
        Route("/mj/task/{id}/cancel", task_cancel, methods=post),
        Route("/mj/task/{id}/image-seed", task_image_seed, methods=get),
        Route("/mj/account/list", account_list, methods=get),
        Route("/mj/account/{id}/fetch", account_fetch, methods=get),
    ]
    return found
