"""novicezk/midjourney-proxy + "plus" dialect (spec §C, §E): tasks and replies as novicezk
shows them (requests are read in novicezk_requests.py).

Task JSON is the bare task (fetch body = callback body); submit replies are `SubmitResultVO`
`{code, description, result, properties}` with codes 1 (ok), 3 (not found), 4 (validation),
21 (modal required), 24 (banned prompt).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.dialects.common import (
    dumps,
    image_url,
    percent,
    public_params,
    public_properties,
    video_url,
    video_urls,
)
from app.dialects.novicezk_trueai import TRUEAI_FIELDS, trueai_fields
from app.domain import buttons as btn
from app.domain.actions import Action
from app.domain.errors import CommandError, ErrorKind
from app.domain.remix import REMIX_ACTIONS
from app.domain.status import TaskStatus
from app.domain.task import QUEUE_AHEAD, Task

DIALECT = "novicezk"

CODE_SUCCESS = 1
CODE_NOT_FOUND = 3
CODE_VALIDATION = 4
CODE_FAILURE = 9
CODE_MODAL = 21
CODE_IN_QUEUE = 22
CODE_QUEUE_FULL = 23
CODE_BANNED = 24

STATUS = {
    TaskStatus.PENDING: "NOT_START",
    TaskStatus.STARTED: "NOT_START",
    TaskStatus.SUBMITTED: "SUBMITTED",
    TaskStatus.MODAL: "MODAL",
    TaskStatus.RUNNING: "IN_PROGRESS",
    TaskStatus.SUCCESS: "SUCCESS",
    TaskStatus.FAILURE: "FAILURE",
    TaskStatus.CANCEL: "CANCEL",
}

_A = Action
ACTION = {
    _A.IMAGINE: "IMAGINE",
    _A.UPSCALE: "UPSCALE",
    _A.VARIATION: "VARIATION",
    _A.REROLL: "REROLL",
    _A.DESCRIBE: "DESCRIBE",
    _A.BLEND: "BLEND",
    _A.SHORTEN: "SHORTEN",
    _A.UPSCALE_SUBTLE: "UPSCALE",
    _A.UPSCALE_CREATIVE: "UPSCALE",
    _A.UPSCALE_2X: "UPSCALE",
    _A.UPSCALE_4X: "UPSCALE",
    _A.VARIATION_SUBTLE: "VARIATION",
    _A.VARIATION_STRONG: "VARIATION",
    _A.VARIATION_REGION: "INPAINT",
    _A.ZOOM_OUT: "ZOOM",
    _A.MAKE_SQUARE: "ZOOM",
    _A.ZOOM_CUSTOM: "ZOOM",
    _A.PAN_LEFT: "PAN",
    _A.PAN_RIGHT: "PAN",
    _A.PAN_UP: "PAN",
    _A.PAN_DOWN: "PAN",
    _A.ANIMATE: "VIDEO",
    _A.PIC_READER: "IMAGINE",
    _A.PIC_READER_ALL: "IMAGINE",
    _A.PIC_READ_RETRY: "DESCRIBE",
    _A.PROMPT_ANALYZER: "IMAGINE",
    _A.CANCEL_JOB: "CANCEL",
    _A.PIKA_CREATE: "VIDEO",
    _A.PIKA_ANIMATE: "VIDEO",
}

# ---------------------------------------------------------------------------------------- render


def render_task(task: Task) -> dict[str, Any]:
    action = task.action_enum
    out: dict[str, Any] = {
        "id": task.id,
        "action": ACTION.get(action, task.action) if action else task.action,
        "status": STATUS.get(TaskStatus(task.status), task.status),
        "prompt": _prompt(task),
        "promptEn": _prompt_en(task),
        "description": _description(task),
        "state": task.client_state,
        "submitTime": task.submit_time,
        "startTime": task.start_time,
        "finishTime": task.finish_time,
        "imageUrl": image_url(task),
        "progress": _progress(task),
        "failReason": task.fail_reason,
        "properties": _properties(task),
        "buttons": render_buttons(task.buttons),
        "botType": task.prop("botType") or "MID_JOURNEY",
    }
    video = video_url(task)
    if video:
        out["videoUrl"] = video
        out["videoUrls"] = [{"url": url} for url in video_urls(task)]
    if task.parent_id:
        out["parentId"] = task.parent_id
    if task.prop("seed") is not None:
        out["seed"] = str(task.prop("seed"))
    if task.prop(TRUEAI_FIELDS):
        out.update(trueai_fields(task))
    return out


def task_bytes(task: Task) -> bytes:
    """The fetch body and the callback body of a novicezk task."""
    return dumps(render_task(task))


def render_buttons(buttons: Any) -> list[dict[str, Any]]:
    """plus shape: flat `[{customId, emoji, label, type, style}]` with the real custom ids."""
    flat = []
    for c in btn.iter_components(buttons):
        custom_id = c.get("custom_id")
        if not isinstance(custom_id, str):
            continue
        emoji = c.get("emoji")
        flat.append(
            {
                "customId": custom_id,
                "emoji": emoji.get("name", "") if isinstance(emoji, dict) else (emoji or ""),
                "label": c.get("label") or "",
                "type": c.get("type", 2),
                "style": c.get("style", 2),
            }
        )
    return flat


def _progress(task: Task) -> str | None:
    status = TaskStatus(task.status)
    if status == TaskStatus.SUCCESS:
        return "100%"
    if status in (TaskStatus.FAILURE, TaskStatus.CANCEL):
        return ""
    if status in (TaskStatus.SUBMITTED, TaskStatus.RUNNING):
        return percent(task.progress)
    return None


def _result_text(task: Task) -> str | None:
    return task.description or task.final_prompt


def _prompt(task: Task) -> str:
    if task.action in (Action.DESCRIBE, Action.PIC_READ_RETRY) and _result_text(task):
        return _result_text(task) or ""
    return task.prompt


def _prompt_en(task: Task) -> str:
    if task.action in (Action.DESCRIBE, Action.PIC_READ_RETRY) and _result_text(task):
        return _result_text(task) or ""
    return task.prompt_en or task.prompt


def _index(task: Task) -> Any:
    return (task.params or {}).get("index")


# What novicezk shows as a task's `description`: the command as a user would have typed it.
_DESCRIPTIONS: dict[str, Callable[[Task], str]] = {
    Action.IMAGINE: lambda task: f"/imagine {task.prompt}",
    Action.UPSCALE: lambda task: f"/up {task.parent_id} U{_index(task)}",
    Action.VARIATION: lambda task: f"/up {task.parent_id} V{_index(task)}",
    Action.REROLL: lambda task: f"/up {task.parent_id} R",
    Action.DESCRIBE: lambda task: f"/describe {task.id}.png",
    Action.BLEND: lambda task: f"/blend {task.id} {len(task.inputs)}",
    Action.SHORTEN: lambda task: f"/shorten {task.prompt}",
}


def _description(task: Task) -> str:
    described = _DESCRIPTIONS.get(task.action)
    if described is not None:
        return described(task)
    if task.parent_id:
        return f"/action {task.parent_id} {(task.params or {}).get('customId', task.action)}"
    return f"/{str(task.action).lower()} {task.prompt}".rstrip()


def _properties(task: Task) -> dict[str, Any]:
    props: dict[str, Any] = {
        "notifyHook": task.notify_url,
        "nonce": task.nonce,
        "discordInstanceId": task.account_id,
        "discordChannelId": task.account_id,
        "finalPrompt": task.final_prompt,
        "progressMessageId": task.prop("progressMessageId"),
        "messageId": task.message_id,
        "messageHash": task.message_hash,
        "flags": task.message_flags,
        "referencedMessageId": (task.params or {}).get("messageId"),
        "botType": task.prop("botType"),
    }
    if task.action in (Action.DESCRIBE, Action.SHORTEN, Action.PIC_READ_RETRY):
        props["finalPrompt"] = _result_text(task)
    elif task.status == TaskStatus.MODAL:  # the prompt the modal will be submitted with
        props["finalPrompt"] = task.prompt
    for key, value in public_properties(task).items():
        props.setdefault(key, value)
    if public_params(task).get("customId"):
        props.setdefault("customId", public_params(task)["customId"])
    return {k: v for k, v in props.items() if v is not None}


# ------------------------------------------------------------------------------------- envelopes


def submit_body(
    code: int, description: str, result: str | None = None, properties: dict[str, Any] | None = None
) -> bytes:
    return dumps(
        {"code": code, "description": description, "result": result, "properties": properties or {}}
    )


def submitted(task: Task) -> bytes:
    if task.status == TaskStatus.MODAL:
        return submit_body(
            CODE_MODAL,
            "窗口等待",
            task.id,
            {"finalPrompt": task.prompt, "remix": task.action in REMIX_ACTIONS, "status": "MODAL"},
        )
    props: dict[str, Any] = {"discordInstanceId": task.account_id} if task.account_id else {}
    ahead = int(task.properties.get(QUEUE_AHEAD) or 0)
    if ahead > 0:
        props["numberOfQueues"] = ahead
        return submit_body(CODE_IN_QUEUE, f"排队中，前面还有{ahead}个任务", task.id, props)
    return submit_body(CODE_SUCCESS, "提交成功", task.id, props)


_MESSAGES = {
    ErrorKind.TASK_NOT_FOUND: (CODE_NOT_FOUND, "任务不存在"),
    ErrorKind.PARENT_NOT_FOUND: (CODE_NOT_FOUND, "关联任务不存在或已失效"),
    ErrorKind.PARENT_NOT_FINISHED: (CODE_VALIDATION, "关联任务状态错误"),
    ErrorKind.ACTION_NOT_ALLOWED: (CODE_VALIDATION, "关联任务不允许执行变化"),
    ErrorKind.BUTTON_NOT_FOUND: (CODE_VALIDATION, "customId参数错误: 关联任务没有这个按钮"),
    ErrorKind.ACTION_NOT_FOUND: (CODE_VALIDATION, "customId参数错误: 不支持的按钮"),
    ErrorKind.WRONG_STATE: (CODE_VALIDATION, "任务状态错误"),
    ErrorKind.QUEUE_FULL: (CODE_QUEUE_FULL, "队列已满，请稍后尝试"),
    ErrorKind.ACCOUNT_NOT_FOUND: (CODE_NOT_FOUND, "账号不可用"),
    # A key's limits read like a full queue (code 23), with the reason in the description.
    ErrorKind.QUOTA_EXCEEDED: (CODE_QUEUE_FULL, "额度已用完，请稍后尝试"),
    ErrorKind.RATE_LIMITED: (CODE_QUEUE_FULL, "请求过于频繁，请稍后尝试"),
    ErrorKind.IDEMPOTENCY_CONFLICT: (CODE_VALIDATION, "Idempotency-Key 已用于不同的请求"),
}


def error_body(err: CommandError) -> tuple[int, bytes]:
    """(HTTP status, body) for a refused request."""
    if err.kind == ErrorKind.UNAUTHORIZED:
        return 401, submit_body(401, err.message)
    if err.kind == ErrorKind.TOO_LARGE:
        return 413, submit_body(CODE_VALIDATION, f"请求体过大 ({err.message})")
    if err.kind == ErrorKind.BANNED:
        props = {"promptEn": err.details.get("prompt"), "bannedWord": err.details.get("word")}
        return 200, submit_body(CODE_BANNED, "可能包含敏感词", None, props)
    if err.kind == ErrorKind.TASK_NOT_FOUND:
        return 404, submit_body(CODE_NOT_FOUND, err.details.get("description", "任务不存在"))
    code, text = _MESSAGES.get(err.kind, (CODE_VALIDATION, err.message))
    detail = err.message if err.kind in _MESSAGES and err.message and err.message != text else None
    return 200, submit_body(code, f"{text} ({detail})" if detail else text)
