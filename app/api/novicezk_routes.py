"""novicezk / plus / trueai routes (`/mj/submit/*`, `/mj/task/*`, `/mj/account/*`), spec §C, §E
and v2 §7; trueai's speed-mode prefixes (`/mj-relax/mj/submit/imagine` …) are derived from the
same tables."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute

from app.api import novicezk_accounts as accounts
from app.api.bodies import read_json
from app.api.endpoint import Endpoint, endpoint, route_table
from app.api.service import TaskService
from app.api.submit_route import Rows, json_body, submit_endpoints
from app.dialects import novicezk as nz
from app.dialects import novicezk_requests as nz_requests
from app.dialects import novicezk_video_requests as nz_video
from app.dialects.common import dumps
from app.domain.limits import BLEND_MAX_IMAGES, InputLimits
from app.domain.speed import FAST, RELAX, TURBO
from app.domain.task import Task

ep = endpoint(nz.DIALECT)
JSON = json_body()


def _imagine_images(limits: InputLimits) -> int:
    return limits.imagine_images


# path -> (body reader with room for the base64 images the route takes, parser); each parser's
# docstring says what the body holds.
SUBMIT_ROWS: Rows = {
    "/mj/submit/imagine": (json_body(_imagine_images), nz_requests.parse_imagine),
    "/mj/submit/change": (JSON, nz_requests.parse_change),
    "/mj/submit/simple-change": (JSON, nz_requests.parse_simple_change),
    "/mj/submit/describe": (json_body(1), nz_requests.parse_describe),
    "/mj/submit/blend": (json_body(BLEND_MAX_IMAGES), nz_requests.parse_blend),
    "/mj/submit/shorten": (JSON, nz_requests.parse_shorten),
    "/mj/submit/action": (JSON, nz_requests.parse_action),
    "/mj/submit/modal": (json_body(1), nz_requests.parse_modal),
    "/mj/submit/video": (json_body(2), nz_video.parse_video),  # start + end frame
}
SUBMITS = submit_endpoints(ep, nz.submitted, SUBMIT_ROWS)
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


TASK_GET = {
    "/mj/task/list": task_list,
    "/mj/task/queue": task_queue,
    "/mj/task/{id}/fetch": task_fetch,
    "/mj/task/{id}/image-seed": task_image_seed,
}
TASK_POST = {
    "/mj/task/list-by-condition": task_list_by_condition,
    "/mj/task/list-by-ids": task_list_by_condition,
    "/mj/task/{id}/cancel": task_cancel,
}
# trueai's prefixes (SimpleAuthMiddleware): every submit and task route again under each, the
# submits asking the prefix's speed mode. Submit and task paths only, as trueai mounts them.
SPEED_PREFIXES = {"/mj-fast": FAST, "/mj-relax": RELAX, "/mj-turbo": TURBO}


def routes(*, submit_imagine_change: bool = True) -> list[BaseRoute]:
    """The native paths (context path `/mj` included); `/mj/submit/imagine|change` too unless
    the shared route serves them."""
    shared = ("/mj/submit/imagine", "/mj/submit/change")
    submits = {p: e for p, e in SUBMITS.items() if submit_imagine_change or p not in shared}
    post = {**submits, **TASK_POST, **accounts.ACCOUNT_POST}
    return route_table(get={**TASK_GET, **accounts.ACCOUNT_GET}, post=post)


def _prefixed(prefix: str, table: dict[str, Endpoint]) -> dict[str, Endpoint]:
    return {prefix + path: endpoint for path, endpoint in table.items()}


def speed_routes() -> list[BaseRoute]:
    """`/mj-fast|-relax|-turbo/mj/submit/*` and `…/mj/task/*`: always novicezk (no Discordxy
    client knows these paths), the submits asking that speed mode."""
    found: list[BaseRoute] = []
    for prefix, mode in SPEED_PREFIXES.items():
        submits = submit_endpoints(ep, nz.submitted, SUBMIT_ROWS, prefix=prefix, route_mode=mode)
        post = {**submits, **_prefixed(prefix, TASK_POST)}
        found += route_table(get=_prefixed(prefix, TASK_GET), post=post)
    return found
