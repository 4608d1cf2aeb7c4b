"""Discordxy dialect (spec §B): tasks and replies as Discordxy shows them (requests are read
in discordxy_requests.py).

Envelope `{code, result, message}` (code 0 = success); the status object's keys are sorted
(Go marshals maps that way), times are unix seconds, missing strings are "" and missing times 0.
Discordxy documents no errors: ours use the same envelope with `code` = the HTTP status.
"""

from __future__ import annotations

from typing import Any

from app.dialects.common import (
    dumps,
    envelope,
    image_raw_url,
    image_url,
    percent,
    public_params,
    seconds,
    video_url,
)
from app.domain.actions import Action
from app.domain.errors import CommandError, ErrorKind
from app.domain.status import TIMEOUT_REASON, TaskStatus
from app.domain.task import Task

DIALECT = "discordxy"

STATUS = {
    TaskStatus.PENDING: "Submit",
    TaskStatus.STARTED: "Submit",
    TaskStatus.MODAL: "Submit",
    TaskStatus.SUBMITTED: "Create",
    TaskStatus.RUNNING: "Running",
    TaskStatus.SUCCESS: "Success",
    TaskStatus.FAILURE: "Failed",
    TaskStatus.CANCEL: "Failed",
}

_A = Action
ACTION = {
    _A.IMAGINE: "Imagine",
    _A.UPSCALE: "Upsample",
    _A.VARIATION: "Variation",
    _A.REROLL: "Reroll",
    _A.UPSCALE_SUBTLE: "UpscaleSubtle",
    _A.UPSCALE_CREATIVE: "UpscaleCreative",
    _A.UPSCALE_2X: "Upscale2x",
    _A.UPSCALE_4X: "Upscale4x",
    _A.VARIATION_SUBTLE: "VarySubtle",
    _A.VARIATION_STRONG: "VaryCreative",
    _A.VARIATION_REGION: "VaryRegion",
    _A.MAKE_SQUARE: "MakeSquare",
    _A.ZOOM_CUSTOM: "CustomZoom",
    _A.PAN_LEFT: "PanLeft",
    _A.PAN_RIGHT: "PanRight",
    _A.PAN_UP: "PanUp",
    _A.PAN_DOWN: "PanDown",
    _A.DESCRIBE: "Describe",
    _A.BLEND: "Blend",
    _A.SHORTEN: "Shorten",
    _A.ANIMATE: "Animate",
    _A.PIC_READER: "PicReader",
    _A.PIC_READER_ALL: "PicReader",
    _A.PIC_READ_RETRY: "Describe",
    _A.PROMPT_ANALYZER: "Imagine",
    _A.CANCEL_JOB: "Cancel",
    _A.PIKA_CREATE: "Create",
    _A.PIKA_ANIMATE: "Animate",
}

# ---------------------------------------------------------------------------------------- render


def _action_name(task: Task) -> str:
    action = task.action_enum
    if action == Action.ZOOM_OUT:
        return "Zoom1d5x" if (task.params or {}).get("zoom") == "75" else "Zoom2x"
    return ACTION.get(action, task.action) if action else task.action


def _status(task: Task) -> str:
    if task.status == TaskStatus.FAILURE and task.fail_reason == TIMEOUT_REASON:
        return "Timeout"
    if task.status == TaskStatus.SUBMITTED and task.prop("queued"):
        return "Queuing"
    return STATUS.get(TaskStatus(task.status), task.status)


def _progress(task: Task) -> str:
    return "100%" if task.status == TaskStatus.SUCCESS else percent(task.progress)


def render_task(task: Task) -> dict[str, Any]:
    params = task.params or {}
    out: dict[str, Any] = {
        "id": task.id,
        "action": _action_name(task),
        "channelId": task.account_id or "",
        "failReason": task.fail_reason or "",
        "finalPrompt": task.final_prompt or task.description or "",
        "finishTime": seconds(task.finish_time) or 0,
        "imageRawUrl": image_raw_url(task) or "",
        "imageUrl": image_url(task) or "",
        "messageHash": task.message_hash or "",
        "messageId": task.message_id or "",
        "nonce": task.nonce or "",
        "progress": _progress(task),
        "prompt": task.prompt,
        "referenceMessageId": task.prop("progressMessageId") or params.get("messageId") or "",
        "startTime": seconds(task.start_time) or 0,
        "status": _status(task),
        "submitTime": seconds(task.submit_time) or 0,
    }
    if task.parent_id:
        shown = public_params(task)
        out["params"] = {
            "customId": shown.get("customId", ""),
            "index": str(shown.get("index") or ""),
            "messageId": shown.get("messageId", ""),
        }
    if task.video_url:
        out["videoRawUrl"] = task.video_url
        out["videoUrl"] = video_url(task) or ""
    return out


def task_bytes(task: Task) -> bytes:
    """The `/mj/status` reply of a Discordxy task, and its callback body."""
    result = dumps(render_task(task), sort_keys=True)
    return envelope(b'{"code":0,"result":', result, b',"message":"Success"}')


def render_account(row: Any) -> dict[str, Any]:
    """An account of `/client/online` (never its token): online = enabled and healthy."""
    return {
        "id": row["id"],
        "name": row["name"],
        "channelId": row["channel_id"],
        "bots": list(row["bots"] or []),
        "online": bool(row["enabled"] and row["health"] == "ok"),
        "health": row["health"],
    }


# ------------------------------------------------------------------------------------- envelopes


def ok(result: Any) -> bytes:
    return dumps({"code": 0, "result": result, "message": "Success"})


def submitted(task: Task) -> bytes:
    return ok(task.id)


_STATUS_OF = {
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.TASK_NOT_FOUND: 404,
    ErrorKind.PARENT_NOT_FOUND: 404,
    ErrorKind.PARENT_NOT_FINISHED: 409,
    ErrorKind.WRONG_STATE: 409,
    ErrorKind.QUEUE_FULL: 429,
    ErrorKind.QUOTA_EXCEEDED: 429,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.IDEMPOTENCY_CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
}


def error_body(err: CommandError) -> tuple[int, bytes]:
    status = _STATUS_OF.get(err.kind, 400)
    message = err.message
    if err.kind == ErrorKind.BANNED:
        message = f"prompt contains a banned word: {err.details.get('word')}"
    return status, dumps({"code": status, "result": None, "message": message})
