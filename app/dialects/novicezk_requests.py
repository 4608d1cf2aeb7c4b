"""novicezk / plus requests (spec §C, §E): request bodies parsed into domain commands (pure).

Validation messages are the Chinese ones novicezk clients know, with English where it helps.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from app.dialects import novicezk_trueai_requests as trueai
from app.dialects.fields import bounded, invalid, json_object, notify_url, required_text
from app.dialects.novicezk import DIALECT
from app.domain.actions import Action
from app.domain.commands import CancelTask, CreateTask, Passthrough, PressButton, SubmitModal
from app.domain.errors import CommandError, ErrorKind
from app.domain.images import ImageError, decode_data_url
from app.domain.limits import DEFAULT_LIMITS, MAX_URL_CHARS, InputLimits

# Body fields only novicezk-family clients send (MJRELAY_SUBMIT_DIALECT=auto sniffing).
ONLY_FIELDS = frozenset(
    {"base64Array", "base64", "notifyHook", "state", "botType", "accountFilter"}
)
CHANGE_ACTIONS = {
    "UPSCALE": Action.UPSCALE,
    "VARIATION": Action.VARIATION,
    "REROLL": Action.REROLL,
}
BOT_TYPES = {
    "MID_JOURNEY": "MID_JOURNEY",
    "NIJI_JOURNEY": "NIJI_JOURNEY",
    "MJ": "MID_JOURNEY",
    "NIJI": "NIJI_JOURNEY",
}
DIMENSIONS = ("PORTRAIT", "SQUARE", "LANDSCAPE")
MAX_STATE = 255
MAX_NOTIFY_HOOK = 2000
_create = partial(CreateTask, dialect=DIALECT)


def is_novicezk_body(body: Any) -> bool:
    """Does this `/mj/submit/imagine|change` body carry a field only novicezk clients send?"""
    if not isinstance(body, dict):
        return False
    if ONLY_FIELDS & set(body):
        return True
    action = body.get("action")
    return isinstance(action, str) and action.upper() in CHANGE_ACTIONS and "index" in body


def _require_object(body: Any) -> dict[str, Any]:
    return json_object(body, "请求体必须是 JSON 对象 (request body must be a JSON object)")


def _opt_str(body: dict[str, Any], name: str, max_len: int | None = None) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or (max_len is not None and len(value) > max_len):
        raise invalid(f"{name}参数错误")
    return value


def _req_str(body: dict[str, Any], name: str) -> str:
    return required_text(body, name, missing=f"{name}不能为空", wrong=f"{name}参数错误")


def _passthrough(body: dict[str, Any]) -> Passthrough:
    bot_type = body.get("botType")
    if bot_type is not None and (
        not isinstance(bot_type, str) or bot_type.upper() not in BOT_TYPES
    ):
        raise invalid("botType参数错误")
    hook = _opt_str(body, "notifyHook", MAX_NOTIFY_HOOK)
    return Passthrough(
        notify_url=notify_url(hook, "notifyHook参数错误"),
        client_state=_opt_str(body, "state", MAX_STATE),
        bot_type=BOT_TYPES[bot_type.upper()] if isinstance(bot_type, str) else None,
        account_filter=trueai.parse_account_filter(body.get("accountFilter")),
    )


def _decode(value: Any, max_bytes: int) -> Any:
    if not isinstance(value, str):
        raise invalid("base64格式错误")
    try:
        return decode_data_url(value, max_bytes)
    except ImageError as exc:
        raise CommandError(ErrorKind.IMAGE, f"base64格式错误: {exc}") from None


def _bounded_prompt(value: str, limits: InputLimits) -> str:
    limit = limits.prompt_chars
    english = f"prompt is longer than {limit} characters"
    return bounded(value, limit, f"prompt参数错误: 超过{limit}个字符 ({english})")


def _base64_list(body: dict[str, Any], max_bytes: int, max_count: int) -> list[Any]:
    items = body.get("base64Array")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise invalid("base64List参数错误")
    extra = [body["base64"]] if body.get("base64") not in (None, "") else []
    if len(items) + len(extra) > max_count:
        raise invalid(f"base64List参数错误: 最多{max_count}张图片 (at most {max_count} images)")
    return [_decode(item, max_bytes) for item in [*items, *extra]]


def parse_imagine(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Imagine: `prompt`, optional `base64Array` (data URLs), `notifyHook`, `state`, `botType`,
    `accountFilter`."""
    body = _require_object(body)
    prompt = _bounded_prompt(_req_str(body, "prompt"), limits)
    extra = _passthrough(body)
    images = _base64_list(body, limits.image_bytes, limits.imagine_images)
    return _create(action=Action.IMAGINE, prompt=prompt, images=images, extra=extra)


def parse_change(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> PressButton:
    """U/V/reroll on a finished task: `taskId`, `action` UPSCALE|VARIATION|REROLL, `index`."""
    body = _require_object(body)
    task_id = _req_str(body, "taskId")
    action = body.get("action")
    if not isinstance(action, str) or action.upper() not in CHANGE_ACTIONS:
        raise invalid("action参数错误")
    act = CHANGE_ACTIONS[action.upper()]
    index = body.get("index")
    if act == Action.REROLL:
        index = None
    elif isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= 4:
        raise invalid("index参数错误")
    return PressButton(
        dialect=DIALECT, parent_id=task_id, action=act, index=index, extra=_passthrough(body)
    )


_SIMPLE = re.compile(r"^\s*(\S+)\s+([UV])([1-4])\s*$|^\s*(\S+)\s+(R)\s*$", re.I)


def parse_simple_change(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> PressButton:
    """`content`: "<taskId> U1".."V4" or "<taskId> R"."""
    body = _require_object(body)
    content = body.get("content")
    match = _SIMPLE.match(content) if isinstance(content, str) else None
    if match is None:
        raise invalid("content参数错误")
    if match.group(5):
        task_id, act, index = match.group(4), Action.REROLL, None
    else:
        task_id = match.group(1)
        act = Action.UPSCALE if match.group(2).upper() == "U" else Action.VARIATION
        index = int(match.group(3))
    return PressButton(
        dialect=DIALECT, parent_id=task_id, action=act, index=index, extra=_passthrough(body)
    )


def parse_describe(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Describe one image: `base64` data URL (or trueai's `link`)."""
    body = _require_object(body)
    link = _opt_str(body, "link", MAX_URL_CHARS)
    if body.get("base64") in (None, "") and not link:
        raise invalid("base64不能为空")
    images: list[Any] = (
        [_decode(body["base64"], limits.image_bytes)]
        if body.get("base64") not in (None, "")
        else [link]
    )
    return _create(action=Action.DESCRIBE, images=images, extra=_passthrough(body))


def parse_blend(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Blend 2–5 images: `base64Array`, `dimensions` PORTRAIT|SQUARE|LANDSCAPE."""
    body = _require_object(body)
    items = body.get("base64Array")
    if not isinstance(items, list) or not 2 <= len(items) <= 5:
        raise invalid("base64List参数错误")
    dimensions = body.get("dimensions", "SQUARE")
    if not isinstance(dimensions, str) or dimensions.upper() not in DIMENSIONS:
        raise invalid("dimensions参数错误")
    images = [_decode(item, limits.image_bytes) for item in items]
    params = {"dimensions": dimensions.upper()}
    return _create(action=Action.BLEND, images=images, params=params, extra=_passthrough(body))


def parse_shorten(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Shorten a prompt (plus): `prompt`."""
    body = _require_object(body)
    prompt = _bounded_prompt(_req_str(body, "prompt"), limits)
    return _create(action=Action.SHORTEN, prompt=prompt, extra=_passthrough(body))


def parse_action(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> PressButton:
    """Press a button of a finished task (plus): `taskId`, `customId`. Modal buttons -> 21."""
    body = _require_object(body)
    task_id = _req_str(body, "taskId")
    custom_id = _req_str(body, "customId")
    return PressButton(
        dialect=DIALECT, parent_id=task_id, custom_id=custom_id, extra=_passthrough(body)
    )


def parse_modal(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> SubmitModal:
    """Modal input for a task in MODAL (plus): `taskId`, `prompt`, `maskBase64`."""
    body = _require_object(body)
    task_id = _req_str(body, "taskId")
    prompt = _opt_str(body, "prompt")
    mask = body.get("maskBase64")
    return SubmitModal(
        task_id=task_id,
        prompt=_bounded_prompt(prompt.strip(), limits) if prompt else None,
        mask=_decode(mask, limits.image_bytes) if mask not in (None, "") else None,
    )


def parse_cancel(task_id: str) -> CancelTask:
    return CancelTask(task_id=task_id)


def parse_ids(body: Any) -> list[str]:
    """`{"ids": [...]}` of list-by-condition; Dooy sends numbers, new-api strings."""
    body = _require_object(body)
    ids = body.get("ids")
    if ids is None:
        return []
    if not isinstance(ids, list) or len(ids) > 1000:
        raise invalid("ids参数错误")
    out = []
    for item in ids:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise invalid("ids参数错误")
        out.append(str(item))
    return out
