"""Checks on `POST /interactions` bodies, answered with Discord's error codes."""

from __future__ import annotations

from typing import Any

from app.sandbox import errors
from app.sandbox.accounts import AccountState
from app.sandbox.commands import find_command
from app.sandbox.components import custom_ids
from app.sandbox.core import SandboxCore
from app.sandbox.errors import form_error
from app.sandbox.interactions import Interaction, UploadedFile

Json = dict[str, Any]


def parse_interaction(core: SandboxCore, state: AccountState, payload: Json) -> Interaction:
    """An Interaction from a request body, or DiscordError."""
    kind = payload.get("type")
    if kind not in (2, 3, 5):
        raise form_error(["type"], "BASE_TYPE_CHOICES", "Value must be one of (2, 3, 5).")
    application_id = str(payload.get("application_id", ""))
    if application_id not in core.bots:
        raise errors.UNKNOWN_APPLICATION
    channel_id = str(payload.get("channel_id", ""))
    guild_id = core.directory.channel_guild(channel_id)
    if guild_id is None:
        raise errors.UNKNOWN_CHANNEL
    if payload.get("guild_id") not in (None, guild_id):
        raise errors.MISSING_ACCESS
    nonce = payload.get("nonce")
    if nonce is not None and (not isinstance(nonce, str | int) or len(str(nonce)) > 25):
        raise form_error(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise form_error(["data"], "BASE_TYPE_REQUIRED", "This field is required")
    session_id = payload.get("session_id")
    it = Interaction(
        id=core.services.new_id(), type=kind, state=state, application_id=application_id,
        channel_id=channel_id, guild_id=guild_id,
        session_id=str(session_id) if session_id else None,
        nonce=None if nonce is None else str(nonce), data=data,
    )  # fmt: skip
    if kind == 2:
        _check_command(core, it)
    elif kind == 3:
        _check_component(core, it, payload)
    else:
        bot = core.mj_bots.get(application_id)
        if bot is None or not bot.has_modal(str(data.get("id")), it.user_id, it.custom_id):
            raise errors.UNKNOWN_INTERACTION
    return it


def _check_command(core: SandboxCore, it: Interaction) -> None:
    command = find_command(it.application_id, str(it.data.get("id", "")))
    if command is None:
        raise errors.UNKNOWN_COMMAND
    if str(it.data.get("version", "")) != command["version"]:
        raise form_error(
            ["data", "version"],
            "BASE_TYPE_CHOICES",
            f"Value must be one of ({command['version']}).",
        )
    if it.data.get("name") not in (None, command["name"]):
        raise form_error(["data", "name"], "BASE_TYPE_CHOICES", "Command name does not match.")
    given = it.options()
    for index, option in enumerate(command["options"]):
        if option.get("required") and given.get(option["name"]) in (None, ""):
            raise form_error(
                ["data", "options", index], "BASE_TYPE_REQUIRED", f"{option['name']} is required"
            )
    it.files = _resolve_attachments(core, it.data.get("attachments") or [])
    for option in command["options"]:
        value = given.get(option["name"])
        if option["type"] == 11 and value is not None and str(value) not in it.files:
            raise form_error(
                ["data", "options"], "ATTACHMENT_NOT_FOUND", f"Unknown attachment {value!r}."
            )


def _resolve_attachments(core: SandboxCore, attachments: list[Json]) -> dict[str, UploadedFile]:
    files = {}
    for index, entry in enumerate(attachments):
        upload = core.uploads.get(str(entry.get("uploaded_filename", "")))
        if upload is None or upload.data is None:
            raise form_error(
                ["data", "attachments", index, "uploaded_filename"],
                "ATTACHMENT_NOT_FOUND",
                "The uploaded file was not found or has expired.",
            )
        filename = str(entry.get("filename") or upload.filename)
        files[str(entry.get("id", index))] = UploadedFile(
            filename, upload.data, upload.content_type
        )
    return files


def _check_component(core: SandboxCore, it: Interaction, payload: Json) -> None:
    message = core.messages.get(it.channel_id, str(payload.get("message_id", "")), it.user_id)
    if message is None:
        raise errors.UNKNOWN_MESSAGE
    if message["author"]["id"] != it.application_id:
        raise form_error(["application_id"], "INTERACTION_APPLICATION_MISMATCH", "Wrong app.")
    if it.custom_id not in custom_ids(message["components"]):
        raise form_error(
            ["data", "custom_id"], "COMPONENT_VALIDATION_FAILED", "Component validation failed"
        )
    if it.data.get("component_type") == 3 and not _values_offered(message, it):
        raise form_error(
            ["data", "values"], "COMPONENT_VALIDATION_FAILED", "Component validation failed"
        )
    it.message = message


def _values_offered(message: Json, it: Interaction) -> bool:
    """A select's `values` must be among that select's options."""
    values = it.data.get("values")
    if not isinstance(values, list) or not values:
        return False
    for action_row in message["components"]:
        for item in action_row.get("components", []):
            if item.get("custom_id") == it.custom_id and item.get("type") == 3:
                offered = {option["value"] for option in item.get("options", [])}
                return len(values) <= item.get("max_values", 1) and set(values) <= offered
    return False
