"""novicezk / plus routes (`/mj/submit/*`, `/mj/task/*`, `/mj/account/*`), spec §C and §E."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute

from app.api.bodies import read_json
from app.api.endpoint import endpoint, route_table
from app.api.service import TaskService
from app.api.submit_route import json_body, submit_endpoints
from app.dialects import novicezk as nz
from app.dialects import novicezk_requests as nz_requests
from app.dialects.common import dumps
from app.domain.errors import CommandError, ErrorKind
from app.domain.limits import BLEND_MAX_IMAGES, InputLimits
from app.domain.task import Task

ep = endpoint(nz.DIALECT)
JSON = json_body()


def _imagine_images(limits: InputLimits) -> int:
    return limits.imagine_images


# path -> (body reader with room for the base64 images the route takes, parser); each parser's
# docstring says what the body holds.
SUBMITS = submit_endpoints(
    ep,
    nz.submitted,
    {
        "/mj/submit/imagine": (json_body(_imagine_images), nz_requests.parse_imagine),
        "/mj/submit/change": (JSON, nz_requests.parse_change),
        "/mj/submit/simple-change": (JSON, nz_requests.parse_simple_change),
        "/mj/submit/describe": (json_body(1), nz_requests.parse_describe),
        "/mj/submit/blend": (json_body(BLEND_MAX_IMAGES), nz_requests.parse_blend),
        "/mj/submit/shorten": (JSON, nz_requests.parse_shorten),
        "/mj/submit/action": (JSON, nz_requests.parse_action),
        "/mj/submit/modal": (json_body(1), nz_requests.parse_modal),
    },
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
    return dumps([nz.render_account(row) for row in await svc.public_accounts()])


@ep
async def account_fetch(request: Request, svc: TaskService) -> bytes:
    """One account (never its token)."""
    row = await svc.public_account(request.path_params["id"])
    if row is None:
        raise CommandError(ErrorKind.TASK_NOT_FOUND, "account not found", description="账号不存在")
    return dumps(nz.render_account(row))


def routes(*, submit_imagine_change: bool = True) -> list[BaseRoute]:
    """The native paths (context path `/mj` included); `/mj/submit/imagine|change` too unless
    the shared route serves them."""
    shared = ("/mj/submit/imagine", "/mj/submit/change")
    submits = {p: e for p, e in SUBMITS.items() if submit_imagine_change or p not in shared}
    get = {
        "/mj/task/list": task_list,
        "/mj/task/queue": task_queue,
        "/mj/task/{id}/fetch": task_fetch,
        "/mj/task/{id}/image-seed": task_image_seed,
        "/mj/account/list": account_list,
        "/mj/account/{id}/fetch": account_fetch,
    }
    post = {
        **submits,
        "/mj/task/list-by-condition": task_list_by_condition,
        "/mj/task/list-by-ids": task_list_by_condition,
        "/mj/task/{id}/cancel": task_cancel,
    }
    return route_table(get=get, post=post)
