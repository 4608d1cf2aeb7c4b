"""novicezk / plus routes (`/mj/submit/*`, `/mj/task/*`, `/mj/account/*`), spec §C and §E."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from app.api.bodies import read_json
from app.api.endpoint import Endpoint, endpoint
from app.api.service import TaskService
from app.api.submit_route import Parse, submit_handler
from app.dialects import novicezk as nz
from app.dialects import novicezk_requests as nz_requests
from app.dialects.common import dumps
from app.domain.errors import CommandError, ErrorKind
from app.domain.limits import BLEND_MAX_IMAGES, InputLimits
from app.domain.task import Task
from db import api_accounts

ep = endpoint(nz.DIALECT)
Images = Callable[[InputLimits], int]


def _no_images(limits: InputLimits) -> int:
    return 0


def _submit(path: str, doc: str, parse: Parse, images: Images = _no_images) -> tuple[str, Endpoint]:
    """A `/mj/submit/*` route: a JSON body with room for `images(limits)` base64 images."""

    async def read(request: Request, svc: TaskService) -> object:
        return await read_json(request, svc.limits.body_with_images(images(svc.limits)))

    return path, ep(submit_handler(path, doc, read, parse, nz.submitted))


# path -> endpoint. A row: the path, what the body holds, body -> command, images it carries.
SUBMITS: dict[str, Endpoint] = dict(
    [
        _submit(
            "/mj/submit/imagine",
            "Imagine: `prompt`, optional `base64Array` (data URLs), `notifyHook`, `state`, "
            "`botType`.",
            lambda body, svc: nz_requests.parse_imagine(body, svc.max_image_bytes, svc.limits),
            lambda limits: limits.imagine_images,
        ),
        _submit(
            "/mj/submit/change",
            "U/V/reroll on a finished task: `taskId`, `action` UPSCALE|VARIATION|REROLL, `index`.",
            lambda body, svc: nz_requests.parse_change(body),
        ),
        _submit(
            "/mj/submit/simple-change",
            '`content`: "<taskId> U1".."V4" or "<taskId> R".',
            lambda body, svc: nz_requests.parse_simple_change(body),
        ),
        _submit(
            "/mj/submit/describe",
            "Describe one image: `base64` data URL (or trueai's `link`).",
            lambda body, svc: nz_requests.parse_describe(body, svc.max_image_bytes),
            lambda limits: 1,
        ),
        _submit(
            "/mj/submit/blend",
            "Blend 2–5 images: `base64Array`, `dimensions` PORTRAIT|SQUARE|LANDSCAPE.",
            lambda body, svc: nz_requests.parse_blend(body, svc.max_image_bytes),
            lambda limits: BLEND_MAX_IMAGES,
        ),
        _submit(
            "/mj/submit/shorten",
            "Shorten a prompt (plus): `prompt`.",
            lambda body, svc: nz_requests.parse_shorten(body, svc.limits),
        ),
        _submit(
            "/mj/submit/action",
            "Press a button of a finished task (plus): `taskId`, `customId`. Modal buttons -> 21.",
            lambda body, svc: nz_requests.parse_action(body),
        ),
        _submit(
            "/mj/submit/modal",
            "Modal input for a task in MODAL (plus): `taskId`, `prompt`, `maskBase64`.",
            lambda body, svc: nz_requests.parse_modal(body, svc.max_image_bytes, svc.limits),
            lambda limits: 1,
        ),
    ]
)
# Also served under MJRELAY_SUBMIT_DIALECT (app/api/routing.py).
submit_imagine = SUBMITS["/mj/submit/imagine"]
submit_change = SUBMITS["/mj/submit/change"]


@ep
async def task_fetch(request: Request, svc: TaskService) -> bytes:
    """The task JSON (also the callback body of novicezk tasks)."""
    return nz.task_bytes(await svc.require_task(request.path_params["id"]))


@ep
async def task_cancel(request: Request, svc: TaskService) -> bytes:
    """Cancel a task that has not finished."""
    task = await svc.cancel(nz_requests.parse_cancel(request.path_params["id"]))
    return nz.submit_body(nz.CODE_SUCCESS, "成功", task.id)


@ep
async def task_image_seed(request: Request, svc: TaskService) -> bytes:
    """The seed of a task's image, when the worker recorded one."""
    task = await svc.require_task(request.path_params["id"])
    seed = task.prop("seed")
    if seed is None:
        return nz.submit_body(
            nz.CODE_VALIDATION, "该任务没有 seed (no seed recorded for this task)"
        )
    return nz.submit_body(nz.CODE_SUCCESS, "成功", str(seed))


def _tasks_bytes(tasks: list[Task]) -> bytes:
    return dumps([nz.render_task(task) for task in tasks])


@ep
async def task_list(request: Request, svc: TaskService) -> bytes:
    """The newest 100 tasks."""
    return _tasks_bytes(await svc.recent_tasks(100))


@ep
async def task_queue(request: Request, svc: TaskService) -> bytes:
    """Tasks waiting for an account, oldest first."""
    return _tasks_bytes(await svc.queued_tasks(100))


@ep
async def task_list_by_condition(request: Request, svc: TaskService) -> bytes:
    """`{"ids": [...]}` (strings or numbers) -> those tasks; unknown ids skipped."""
    ids = nz_requests.parse_ids(await read_json(request, svc.limits.body_bytes))
    return _tasks_bytes(await svc.tasks_by_ids(ids))


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
    shared = ("/mj/submit/imagine", "/mj/submit/change")
    found: list[BaseRoute] = [
        Route(path, submit, methods=post)
        for path, submit in SUBMITS.items()
        if submit_imagine_change or path not in shared
    ]
    found += [
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
