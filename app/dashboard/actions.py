"""The dashboard's form posts: submit a task, press a button, cancel, enable/disable an
account, redeliver a callback. Each answers 303 to the page that shows the result, or
re-renders the page it came from with the error (400). Validation is the API's own
(`app.api.service.TaskService`), so the dashboard accepts exactly what the API accepts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app import taskstore
from app.api.bodies import read_form_data
from app.api.endpoint import origin_of, service_of
from app.dashboard import auth, pages
from app.dialects import DIALECTS
from app.domain.actions import Action, Bot
from app.domain.commands import CancelTask, CreateTask, PressButton
from app.domain.errors import CommandError
from app.domain.images import ImageError, InputImage, check_image
from db import accounts as account_queries
from db import redelivery as delivery_queries
from db.tasks import storable

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_IMAGES = 5
MJ_DIALECT = "novicezk"  # the dialect dashboard tasks are stored under (any fetch reads them)
PIKA_DIALECT = "discordxy"  # the one dialect with Pika routes
DIMENSIONS = ("PORTRAIT", "SQUARE", "LANDSCAPE")

# kind -> (action, bot, images (min, max), prompt required)
KINDS: dict[str, tuple[Action, Bot, tuple[int, int], bool]] = {
    "imagine": (Action.IMAGINE, Bot.MJ, (0, MAX_IMAGES), True),
    "blend": (Action.BLEND, Bot.MJ, (2, 5), False),
    "describe": (Action.DESCRIBE, Bot.MJ, (1, 1), False),
    "shorten": (Action.SHORTEN, Bot.MJ, (0, 0), True),
    "pika_create": (Action.PIKA_CREATE, Bot.PIKA, (0, 0), True),
    "pika_animate": (Action.PIKA_ANIMATE, Bot.PIKA, (1, 1), False),
}


class FormError(ValueError):
    """The form is not usable as sent; the message is for the person who sent it."""


def form_post(handler: Endpoint) -> Endpoint:
    """Signed-in, same-origin posts only."""

    async def run(request: Request) -> Response:
        if not await auth.signed_in(request):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        if not auth.same_origin(request):
            return JSONResponse({"error": "cross-site form post refused"}, status_code=403)
        return await handler(request)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _images(form: FormData, max_bytes: int) -> list[InputImage]:
    images = []
    for item in form.getlist("images"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue  # an empty file input still sends one nameless part
        data = await item.read(max_bytes + 1)
        try:
            images.append(check_image(data, f"upload:{item.filename}", max_bytes))
        except ImageError as exc:
            raise FormError(f"{item.filename}: {exc}") from None
    return images


def _command(form: FormData, images: list[InputImage]) -> CreateTask:
    kind = _text(form, "kind") or "imagine"
    if kind not in KINDS:
        raise FormError(f"unknown kind of task {kind!r}")
    action, bot, (least, most), needs_prompt = KINDS[kind]
    prompt = _text(form, "prompt")
    if needs_prompt and not prompt:
        raise FormError("a prompt is required")
    if not least <= len(images) <= most:
        wanted = f"{least}" if least == most else f"{least} to {most}"
        raise FormError(f"{kind.replace('_', ' ')} takes {wanted} image(s); got {len(images)}")
    params: dict[str, Any] = {}
    if action == Action.BLEND:
        dimensions = _text(form, "dimensions").upper() or "SQUARE"
        if dimensions not in DIMENSIONS:
            raise FormError("dimensions must be PORTRAIT, SQUARE or LANDSCAPE")
        params["dimensions"] = dimensions
    return CreateTask(
        dialect=PIKA_DIALECT if bot == Bot.PIKA else MJ_DIALECT,
        action=action,
        bot=bot,
        prompt=prompt if action not in (Action.BLEND, Action.DESCRIBE) else "",
        images=list(images),
        params=params,
    )


@form_post
async def submit(request: Request) -> Response:
    """A new task from the submit form (multipart: kind, prompt, images, dimensions)."""
    service = service_of(request)
    try:  # at most MAX_IMAGES images and the small fields: nothing unbounded spooled to disk
        limits = service.limits
        form = await read_form_data(
            request, limits.upload_body(MAX_IMAGES + 1), max_files=MAX_IMAGES + 1, max_part=65536
        )
    except CommandError as exc:
        return await pages.tasks_page_response(request, form={}, error=str(exc))
    shown = {k: _text(form, k) for k in ("kind", "prompt", "dimensions")}
    try:
        command = _command(form, await _images(form, service.max_image_bytes))
        task = await service.create(command, origin_of(request))
    except (FormError, CommandError) as exc:
        return await pages.tasks_page_response(request, form=shown, error=str(exc))
    finally:
        await form.close()
    return RedirectResponse(f"/dashboard/tasks/{task.id}", 303)


@form_post
async def press(request: Request) -> Response:
    """Press one of the bot's buttons on a finished task (custom_id, optional prompt)."""
    task_id = request.path_params["task_id"]
    form = await request.form(max_files=0, max_fields=5)
    service = service_of(request)
    parent = await _dialect_of(request, task_id)
    command = PressButton(
        dialect=parent,
        parent_id=task_id,
        custom_id=_text(form, "custom_id") or None,
        prompt=_text(form, "prompt") or None,
    )
    try:
        if command.custom_id is None:
            raise FormError("no button given")
        task = await service.press(command, origin_of(request))
    except (FormError, CommandError) as exc:
        return await pages.task_page_response(request, task_id, error=str(exc))
    return RedirectResponse(f"/dashboard/tasks/{task.id}", 303)


async def _dialect_of(request: Request, task_id: str) -> str:
    task = await taskstore.get_task(request.app.state.engine, task_id)
    return task.dialect if task is not None and task.dialect in DIALECTS else MJ_DIALECT


@form_post
async def cancel(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    try:
        await service_of(request).cancel(CancelTask(task_id=task_id))
    except CommandError as exc:
        return await pages.task_page_response(request, task_id, error=str(exc))
    return RedirectResponse(f"/dashboard/tasks/{task_id}", 303)


@form_post
async def set_enabled(request: Request) -> Response:
    """Enable or disable an account (`/dashboard/accounts/{id}/enable|disable`)."""
    account_id, verb = request.path_params["account_id"], request.path_params["verb"]
    if verb not in ("enable", "disable") or not storable(account_id) or len(account_id) > 200:
        return JSONResponse({"error": "not found"}, status_code=404)
    enabled = verb == "enable"
    async with request.app.state.engine.begin() as conn:
        found = await account_queries.set_enabled(conn, account_id, enabled)
    if not found:
        return await pages.accounts_page_response(request, error=f"no account {account_id!r}")
    return RedirectResponse("/dashboard/accounts", 303)


@form_post
async def redeliver(request: Request) -> Response:
    """Queue a callback delivery again; back to its task."""
    raw = request.path_params["delivery_id"]
    form = await request.form(max_files=0, max_fields=5)
    task_id = _text(form, "task_id")
    if not raw.isdigit() or len(raw) > 18:
        return JSONResponse({"error": f"no delivery {raw!r}"}, status_code=404)
    try:
        async with request.app.state.engine.begin() as conn:
            row = await delivery_queries.redeliver(conn, int(raw))
    except delivery_queries.DeliveryBusy as exc:
        return await pages.task_page_response(request, task_id, error=str(exc))
    if row is None:
        return JSONResponse({"error": f"no delivery {raw!r}"}, status_code=404)
    return RedirectResponse(f"/dashboard/tasks/{row['task_id']}#deliveries", 303)
