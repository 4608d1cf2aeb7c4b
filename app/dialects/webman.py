"""webman/midjourney dialect (spec §A): tasks and replies as webman shows them (requests are
read in webman_requests.py).

Every reply is HTTP 200 JSON; errors are in-body codes (500 validation, 403 secret, 404 route).
The task JSON (`/task/fetch` `data`) is also the callback body.
"""

from __future__ import annotations

from typing import Any

from app.dialects.common import (
    dumps,
    envelope,
    image_raw_url,
    image_url,
    input_urls,
    percent,
    public_params,
    public_properties,
    seconds,
    video_url,
)
from app.domain import buttons as btn
from app.domain.actions import Action
from app.domain.errors import CommandError, ErrorKind
from app.domain.status import TaskStatus
from app.domain.task import Task

DIALECT = "webman"
BANNED_MESSAGE = "出于政策隐私和安全的考虑，我们无法生成相关内容"
NOT_FOUND_BODY = {"code": 404, "msg": "API 404 Not Found", "taskId": None, "data": []}
SECRET_BODY = {"code": 403, "msg": "403 Api Secret 错误", "taskId": None, "data": []}

STATUS = {
    TaskStatus.PENDING: "PENDING",
    TaskStatus.STARTED: "STARTED",
    TaskStatus.SUBMITTED: "SUBMITTED",
    TaskStatus.MODAL: "PENDING",
    TaskStatus.RUNNING: "RUNNING",
    TaskStatus.SUCCESS: "FINISHED",
    TaskStatus.FAILURE: "FAILED",
    TaskStatus.CANCEL: "FAILED",
}

_A = Action
ACTION = {
    _A.PAN_LEFT: "PANLEFT",
    _A.PAN_RIGHT: "PANRIGHT",
    _A.PAN_UP: "PANUP",
    _A.PAN_DOWN: "PANDOWN",
    _A.ZOOM_OUT: "ZOOMOUT",
    _A.ZOOM_CUSTOM: "ZOOMOUT_CUSTOM",
    _A.UPSCALE_2X: "UPSCALE_V5_2X",
    _A.UPSCALE_4X: "UPSCALE_V5_4X",
    _A.UPSCALE_SUBTLE: "UPSCALE_V6_2X_SUBTLE",
    _A.UPSCALE_CREATIVE: "UPSCALE_V6_2X_CREATIVE",
    _A.PIC_READER_ALL: "PIC_READER",
    _A.PIC_READ_RETRY: "DESCRIBE",
    _A.PROMPT_ANALYZER: "IMAGINE",
}
# ---------------------------------------------------------------------------------------- render


def render_task(task: Task) -> dict[str, Any]:
    action = task.action_enum
    out: dict[str, Any] = {
        "id": task.id,
        "action": ACTION.get(action, str(action)) if action else task.action,
        "status": STATUS.get(TaskStatus(task.status), task.status),
        "submitTime": seconds(task.submit_time),
        "startTime": seconds(task.start_time),
        "finishTime": seconds(task.finish_time),
        "progress": _progress(task),
        "imageUrl": image_url(task),
        "imageRawUrl": image_raw_url(task),
        "prompt": task.prompt or None,
        "finalPrompt": task.final_prompt,
        "params": _params(task) or [],
        "images": input_urls(task),
        "attachments": task.prop("attachments") or [],
        "description": task.description,
        "failReason": _fail_reason(task),
        "messageHash": task.message_hash,
        "nonce": task.nonce,
        "messageId": task.message_id,
        "discordId": task.account_id,
        "data": task.client_data if task.client_data not in (None, {}, []) else [],
        "buttons": render_buttons(task.buttons),
    }
    video = video_url(task)
    if video:
        out["videoUrl"] = video
        out["videoRawUrl"] = task.video_url
    return out


def task_bytes(task: Task) -> bytes:
    """The callback body of a webman task, and the `data` of its `/task/fetch` reply."""
    return dumps(render_task(task))


def fetch_body(task: Task) -> bytes:
    return envelope(b'{"code":0,"msg":"success","data":', task_bytes(task))


def render_buttons(buttons: Any) -> list[list[dict[str, Any]]]:
    """Rows of raw components; cut at the bookmark / "Imagine all"; link buttons dropped."""
    rows = []
    for row in btn.button_rows(buttons):
        kept = []
        for component in row:
            custom_id = component.get("custom_id")
            if not isinstance(custom_id, str):
                continue
            if custom_id.startswith("MJ::BOOKMARK::") or custom_id == "MJ::Job::PicReader::all":
                break
            kept.append(component)
        if kept:
            rows.append(kept)
    return rows


def _progress(task: Task) -> str | None:
    status = TaskStatus(task.status)
    if status == TaskStatus.SUCCESS:
        return "100%"
    return percent(task.progress) if task.progress > 0 else None


def _fail_reason(task: Task) -> str | None:
    if task.status == TaskStatus.CANCEL and not task.fail_reason:
        return "cancelled"
    return task.fail_reason


def _params(task: Task) -> dict[str, Any]:
    params = public_params(task)
    if "index" in params and params["index"] is not None:
        params["index"] = str(params["index"])
    for key in ("modalPrompt",):
        params.pop(key, None)
    extra = {k: v for k, v in public_properties(task).items() if k.startswith("INTERACTION_")}
    return {**params, **extra}


# ------------------------------------------------------------------------------------- envelopes


def submitted(task: Task) -> bytes:
    return dumps({"code": 0, "msg": "ok", "taskId": task.id, "data": []})


def fetch_not_found() -> bytes:
    return dumps({"code": 404, "msg": "未找到任务", "data": None})


_MESSAGES = {
    ErrorKind.TASK_NOT_FOUND: "任务不存在",
    ErrorKind.PARENT_NOT_FOUND: "任务不存在",
    ErrorKind.ACTION_NOT_FOUND: "action not found",
    ErrorKind.QUEUE_FULL: "队列已满，请稍后尝试",
}


def error_body(err: CommandError) -> tuple[int, bytes]:
    if err.kind == ErrorKind.UNAUTHORIZED:
        return 200, dumps(SECRET_BODY)
    word = err.details.get("word", "") if err.kind == ErrorKind.BANNED else ""
    msg = BANNED_MESSAGE if err.kind == ErrorKind.BANNED else _MESSAGES.get(err.kind, err.message)
    body: dict[str, Any] = {"code": 500, "msg": msg, "taskId": None, "data": []}
    body["ban-words"] = word or ""
    return 200, dumps(body)
