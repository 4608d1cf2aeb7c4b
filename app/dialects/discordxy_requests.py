"""Discordxy requests (spec §B): request bodies parsed into domain commands (pure)."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.dialects.discordxy import DIALECT
from app.dialects.fields import bounded, invalid, json_object, notify_url, required_text
from app.domain.actions import Action, Bot
from app.domain.commands import CreateTask, Passthrough, PressButton
from app.domain.errors import CommandError, ErrorKind
from app.domain.images import InputImage
from app.domain.limits import DEFAULT_LIMITS, InputLimits

# `/mj/change` action names (README B.2) -> (action, index, variant). Matched case-insensitively.
CHANGES: dict[str, tuple[Action, int | None, str | None]] = {
    **{f"u{i}": (Action.UPSCALE, i, None) for i in range(1, 5)},
    **{f"v{i}": (Action.VARIATION, i, None) for i in range(1, 5)},
    "reroll": (Action.REROLL, None, None),
    "upscalesubtle": (Action.UPSCALE_SUBTLE, None, None),
    "upscalecreative": (Action.UPSCALE_CREATIVE, None, None),
    "varysubtle": (Action.VARIATION_SUBTLE, None, None),
    "varycreative": (Action.VARIATION_STRONG, None, None),
    "varystrong": (Action.VARIATION_STRONG, None, None),
    "zoom2x": (Action.ZOOM_OUT, None, "50"),
    "zoom1d5x": (Action.ZOOM_OUT, None, "75"),
    "panleft": (Action.PAN_LEFT, None, None),
    "panright": (Action.PAN_RIGHT, None, None),
    "panup": (Action.PAN_UP, None, None),
    "pandown": (Action.PAN_DOWN, None, None),
}
CHANGE_NAMES = (
    "U1–U4, V1–V4, Reroll, UpscaleSubtle, UpscaleCreative, VarySubtle, VaryCreative, "
    "Zoom2x, Zoom1d5x, PanLeft, PanRight, PanUp, PanDown"
)
# A multipart upload as the API reads it: the other form fields, and the image `file` (if any).
Upload = tuple[dict[str, Any], InputImage | None]
_create = partial(CreateTask, dialect=DIALECT)


def _object(body: Any) -> dict[str, Any]:
    return json_object(body, "request body must be a JSON object")


def _text(body: dict[str, Any], name: str) -> str:
    return required_text(
        body, name, missing=f"{name} is required", wrong=f"{name} must be a string"
    )


def _bounded_prompt(prompt: str, limits: InputLimits) -> str:
    limit = limits.prompt_chars
    return bounded(prompt, limit, f"prompt is longer than {limit} characters")


def _prompt(body: dict[str, Any], limits: InputLimits) -> str:
    return _bounded_prompt(_text(body, "prompt"), limits)


def _passthrough(body: dict[str, Any]) -> Passthrough:
    return Passthrough(
        notify_url=notify_url(body.get("notifyUrl"), "notifyUrl must be a usable http(s) URL")
    )


def parse_imagine(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """`{"prompt": "…"}`; a reference image is a URL at the start of the prompt (MJ fetches it)."""
    body = _object(body)
    return _create(action=Action.IMAGINE, prompt=_prompt(body, limits), extra=_passthrough(body))


def parse_change(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> PressButton:
    """`{"taskId", "action"}` with action U1–U4, V1–V4, Reroll, UpscaleSubtle, … PanDown."""
    body = _object(body)
    task_id = _text(body, "taskId")
    name = _text(body, "action")
    if name.lower() not in CHANGES:
        raise CommandError(
            ErrorKind.ACTION_NOT_FOUND, f"unsupported action {name!r}; expected {CHANGE_NAMES}"
        )
    action, index, variant = CHANGES[name.lower()]
    extra = _passthrough(body)
    return PressButton(
        dialect=DIALECT, parent_id=task_id, action=action, index=index, variant=variant, extra=extra
    )


def parse_pika_create(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Pika `/create`: `{"prompt": "…"}` (English)."""
    body = _object(body)
    prompt = _prompt(body, limits)
    return _create(action=Action.PIKA_CREATE, bot=Bot.PIKA, prompt=prompt, extra=_passthrough(body))


def parse_pika_animate(upload: Upload, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask:
    """Pika `/animate`: multipart `file` (image) + `prompt`, read as (other fields, image)."""
    fields, image = upload
    prompt = fields.get("prompt")
    if image is None:
        raise invalid("file is required (multipart/form-data image file)")
    if prompt is not None and not isinstance(prompt, str):
        raise invalid("prompt must be a string")
    prompt = _bounded_prompt((prompt or "").strip(), limits)
    return _create(action=Action.PIKA_ANIMATE, bot=Bot.PIKA, prompt=prompt, images=[image])
