"""webman requests (spec §A): JSON or form bodies parsed into domain commands (pure)."""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from app.dialects.common import (
    dumps,
)
from app.dialects.fields import bounded, invalid, json_object, notify_url
from app.dialects.webman import DIALECT
from app.domain import buttons as btn
from app.domain.actions import Action
from app.domain.commands import CreateTask, Passthrough, PressButton
from app.domain.errors import CommandError, ErrorKind
from app.domain.images import ImageError, decode_data_url
from app.domain.limits import (
    BLEND_MAX_IMAGES,
    DEFAULT_LIMITS,
    MAX_URL_CHARS,
    InputLimits,
)

DIMENSIONS = {"PORTRAIT": "--ar 2:3", "SQUARE": "--ar 1:1", "LANDSCAPE": "--ar 3:2"}
# Actions needing a prompt on /image/action (the modal's text), and the one needing a mask.
NEEDS_PROMPT = frozenset({Action.PIC_READER, Action.ZOOM_CUSTOM, Action.VARIATION_REGION})
_TASK_ID = re.compile(r"\d{19}|\d{16}")
_create = partial(CreateTask, dialect=DIALECT)


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value in (None, "", "0", [], {}, False):
        raise invalid(f"{name} is required")
    return value


def _is_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS:
        return False
    if any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _images(body: dict[str, Any], *, required: bool, max_count: int) -> list[str]:
    images = _required(body, "images") if required else body.get("images")
    if images in (None, ""):
        return []
    if isinstance(images, dict):
        images = list(images.values())
    if isinstance(images, list) and len(images) > max_count:
        raise invalid(f"images is invalid: at most {max_count} images")
    if not isinstance(images, list) or not all(_is_url(u) for u in images):
        raise invalid("images is invalid")
    return list(images)


def _passthrough(body: dict[str, Any], limits: InputLimits) -> Passthrough:
    notify = notify_url(body.get("notifyUrl"), "notifyUrl is invalid")
    data = body.get("data")
    if data is not None and not isinstance(data, dict | list):
        raise invalid("data is invalid")
    if data is not None and len(dumps(data)) > limits.client_data_bytes:
        raise invalid(f"data is invalid: larger than {limits.client_data_bytes} bytes")
    return Passthrough(notify_url=notify, client_data=data)


def _object(body: Any) -> dict[str, Any]:
    return json_object(body, "request body must be a JSON object or a form")


def _prompt(body: dict[str, Any], limits: InputLimits, *, required: bool) -> str | None:
    value = _required(body, "prompt") if required else body.get("prompt")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise invalid("prompt is invalid")
    limit = limits.prompt_chars
    prompt = re.sub(r"\s+", " ", value).strip()
    return bounded(prompt, limit, f"prompt is invalid: longer than {limit} characters") or None


def parse_imagine(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """`prompt`, optional `images` (URLs), `notifyUrl`, `data`."""
    body = _object(body)
    prompt = _prompt(body, limits, required=True) or ""
    images = _images(body, required=False, max_count=limits.imagine_images)
    return _create(
        action=Action.IMAGINE, prompt=prompt, images=[*images], extra=_passthrough(body, limits)
    )


def parse_blend(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Blend 2–5 `images` (URLs), `dimensions` PORTRAIT|SQUARE|LANDSCAPE."""
    body = _object(body)
    images = _images(body, required=True, max_count=BLEND_MAX_IMAGES)
    if not 2 <= len(images) <= BLEND_MAX_IMAGES:
        raise invalid("images is invalid: blend takes 2 to 5 image URLs")
    dimensions = body.get("dimensions") or "SQUARE"
    if not isinstance(dimensions, str) or dimensions.upper() not in DIMENSIONS:
        raise invalid("dimensions is invalid")
    params = {"dimensions": dimensions.upper()}
    extra = _passthrough(body, limits)
    return _create(action=Action.BLEND, images=list(images), params=params, extra=extra)


def parse_describe(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Describe the first of `images` (URLs)."""
    body = _object(body)
    images = _images(body, required=True, max_count=BLEND_MAX_IMAGES)
    return _create(action=Action.DESCRIBE, images=[*images[:1]], extra=_passthrough(body, limits))


def parse_action(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> PressButton:
    """Press a button: `taskId`, `customId`, and `prompt` / `mask` where the button asks."""
    body = _object(body)
    task_id = _required(body, "taskId")
    if not isinstance(task_id, str) or not _TASK_ID.search(task_id):
        raise invalid("taskId is invalid")
    custom_id = _required(body, "customId")
    if not isinstance(custom_id, str) or "::" not in custom_id:
        raise invalid("customId is invalid")
    mask = body.get("mask")
    if mask is not None and (not isinstance(mask, str) or not mask):
        raise invalid("mask is invalid")
    extra = _passthrough(body, limits)
    ref = btn.classify(custom_id)
    if ref is None:
        raise CommandError(ErrorKind.ACTION_NOT_FOUND, "action not found")
    if ref.action == Action.VARIATION_REGION and not mask:
        raise invalid("mask is required")
    prompt = _prompt(body, limits, required=ref.action in NEEDS_PROMPT)
    decoded = None
    if mask:
        try:
            decoded = decode_data_url(mask, limits.image_bytes)
        except ImageError as exc:
            raise invalid(f"mask is invalid: {exc}") from None
    return PressButton(
        dialect=DIALECT,
        parent_id=task_id.strip(),
        custom_id=custom_id,
        prompt=prompt,
        mask=decoded,
        extra=extra,
    )
