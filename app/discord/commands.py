"""Interaction payloads for `POST /interactions` (spec §2.1, §2.3, §2.4). Pure.

- type 2: slash commands (`imagine`, `blend`, `describe`, `shorten`, `info`, Pika
  `create`/`animate`) with the command id + version taken from the application-command index;
- type 3: component presses by custom id;
- type 5: modal submits.

Every builder takes an `InteractionContext` (where and as which gateway session) and a nonce
the caller generated (`nonces.NonceGenerator`) and records, so that a retry after a crash
can be recognised. Slash commands name their command by a `CommandRef` of the guild's
application-command index (`command_index.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.discord.command_index import CommandRef
from app.discord.constants import MJ_APPLICATION_ID

OPTION_STRING = 3
OPTION_ATTACHMENT = 11
BLEND_DIMENSIONS = {"PORTRAIT": "--ar 2:3", "SQUARE": "--ar 1:1", "LANDSCAPE": "--ar 3:2"}


@dataclass(frozen=True, kw_only=True)
class InteractionContext:
    """Where an interaction goes: guild (None in DMs), channel and our gateway session id."""

    channel_id: str
    session_id: str
    guild_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class UploadedAttachment:
    """A file uploaded by the 3-step flow; `id` is its index in `data.attachments`."""

    id: str
    filename: str
    uploaded_filename: str

    def as_payload(self) -> dict[str, str]:
        return {
            "id": self.id,
            "filename": self.filename,
            "uploaded_filename": self.uploaded_filename,
        }


# ---------------------------------------------------------------------------- type 2


def slash_command(
    ctx: InteractionContext,
    command: CommandRef,
    nonce: str,
    options: Sequence[Mapping[str, Any]] = (),
    attachments: Sequence[UploadedAttachment] = (),
) -> dict[str, Any]:
    return {
        "type": 2,
        "application_id": command.application_id,
        **_where(ctx),
        "session_id": ctx.session_id,
        "nonce": nonce,
        "data": {
            "version": command.version,
            "id": command.id,
            "name": command.name,
            "type": 1,
            "options": [dict(o) for o in options],
            "attachments": [a.as_payload() for a in attachments],
        },
        "analytics_location": "slash_ui",
    }


def imagine(
    ctx: InteractionContext, command: CommandRef, prompt: str, nonce: str
) -> dict[str, Any]:
    return slash_command(ctx, command, nonce, [_string("prompt", prompt)])


def shorten(
    ctx: InteractionContext, command: CommandRef, prompt: str, nonce: str
) -> dict[str, Any]:
    return slash_command(ctx, command, nonce, [_string("prompt", prompt)])


def describe(
    ctx: InteractionContext,
    command: CommandRef,
    nonce: str,
    *,
    image: UploadedAttachment | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    """Describe an uploaded image (option `image`) or an URL (option `link`); exactly one."""
    if (image is None) == (link is None):
        raise ValueError("describe needs exactly one of image or link")
    if image is not None:
        return slash_command(ctx, command, nonce, [_attachment("image", 0)], [_at(image, 0)])
    return slash_command(ctx, command, nonce, [_string("link", str(link))])


def blend(
    ctx: InteractionContext,
    command: CommandRef,
    images: Sequence[UploadedAttachment],
    nonce: str,
    dimensions: str | None = None,
) -> dict[str, Any]:
    """`dimensions` is a key of BLEND_DIMENSIONS or the raw `--ar w:h` value."""
    if not 2 <= len(images) <= 5:
        raise ValueError(f"blend needs 2 to 5 images, got {len(images)}")
    options: list[dict[str, Any]] = [_attachment(f"image{i + 1}", i) for i in range(len(images))]
    if dimensions:
        options.append(_string("dimensions", BLEND_DIMENSIONS.get(dimensions.upper(), dimensions)))
    attachments = [_at(image, i) for i, image in enumerate(images)]
    return slash_command(ctx, command, nonce, options, attachments)


def pika_create(
    ctx: InteractionContext,
    command: CommandRef,
    prompt: str,
    nonce: str,
    image: UploadedAttachment | None = None,
) -> dict[str, Any]:
    """Pika `/create prompt:<text> [image:<file>]` (spec §5, experimental)."""
    options: list[dict[str, Any]] = [_string("prompt", prompt)]
    if image is None:
        return slash_command(ctx, command, nonce, options)
    options.append(_attachment("image", 0))
    return slash_command(ctx, command, nonce, options, [_at(image, 0)])


def pika_animate(
    ctx: InteractionContext,
    command: CommandRef,
    image: UploadedAttachment,
    nonce: str,
    prompt: str | None = None,
) -> dict[str, Any]:
    """Pika `/animate image:<file> [prompt:<text>]` (spec §5, experimental)."""
    options: list[dict[str, Any]] = [_attachment("image", 0)]
    if prompt:
        options.append(_string("prompt", prompt))
    return slash_command(ctx, command, nonce, options, [_at(image, 0)])


# ---------------------------------------------------------------------------- type 3 / 5


def press_button(
    ctx: InteractionContext,
    *,
    message_id: str,
    custom_id: str,
    nonce: str,
    message_flags: int = 0,
    application_id: str = MJ_APPLICATION_ID,
) -> dict[str, Any]:
    """Click `custom_id` on `message_id`; `message_flags` = that message's flags (64: ephemeral)."""
    return {
        "type": 3,
        "application_id": application_id,
        **_where(ctx),
        "message_id": message_id,
        "message_flags": message_flags,
        "session_id": ctx.session_id,
        "nonce": nonce,
        "data": {"component_type": 2, "custom_id": custom_id},
    }


def select_menu(
    ctx: InteractionContext,
    *,
    message_id: str,
    custom_id: str,
    values: Sequence[str],
    nonce: str,
    message_flags: int = 0,
    application_id: str = MJ_APPLICATION_ID,
) -> dict[str, Any]:
    payload = press_button(
        ctx,
        message_id=message_id,
        custom_id=custom_id,
        nonce=nonce,
        message_flags=message_flags,
        application_id=application_id,
    )
    payload["data"] = {
        "component_type": 3,
        "custom_id": custom_id,
        "type": 3,
        "values": list(values),
    }
    return payload


def submit_modal(
    ctx: InteractionContext,
    *,
    modal_id: str,
    custom_id: str,
    fields: Mapping[str, str],
    nonce: str,
    application_id: str = MJ_APPLICATION_ID,
) -> dict[str, Any]:
    """Type 5: `modal_id` = the INTERACTION_MODAL_CREATE id, `fields` = text-input id → value."""
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
        for key, value in fields.items()
    ]
    return {
        "type": 5,
        "application_id": application_id,
        **_where(ctx),
        "session_id": ctx.session_id,
        "nonce": nonce,
        "data": {"id": modal_id, "custom_id": custom_id, "components": rows},
    }


# ---------------------------------------------------------------------------- uploads, inpaint


def attachments_request(files: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Step 1 of the upload flow: `files` = (filename, size) pairs, ids "0", "1", …."""
    if not 1 <= len(files) <= 10:
        raise ValueError("an upload request takes 1 to 10 files")
    return {
        "files": [
            {"id": str(i), "filename": name, "file_size": size, "is_clip": False}
            for i, (name, size) in enumerate(files)
        ]
    }


def inpaint_submit(token: str, mask_base64: str, prompt: str) -> dict[str, Any]:
    """Body of `POST …/inpaint/api/submit-job` for Vary (Region) (spec §3.5)."""
    return {
        "customId": token,
        "mask": mask_base64.split(",", 1)[-1] if mask_base64.startswith("data:") else mask_base64,
        "prompt": prompt,
        "userId": "0",
        "username": "0",
        "full_prompt": None,
    }


def _where(ctx: InteractionContext) -> dict[str, str]:
    if ctx.guild_id is None:
        return {"channel_id": ctx.channel_id}
    return {"guild_id": ctx.guild_id, "channel_id": ctx.channel_id}


def _string(name: str, value: str) -> dict[str, Any]:
    return {"type": OPTION_STRING, "name": name, "value": value}


def _attachment(name: str, index: int) -> dict[str, Any]:
    return {"type": OPTION_ATTACHMENT, "name": name, "value": index}


def _at(upload: UploadedAttachment, index: int) -> UploadedAttachment:
    """Re-number an upload to its position in this interaction's `data.attachments`."""
    return UploadedAttachment(
        id=str(index), filename=upload.filename, uploaded_filename=upload.uploaded_filename
    )
