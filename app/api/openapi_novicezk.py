"""The novicezk / plus / trueai part of /openapi.json (app/api/openapi.py)."""

from __future__ import annotations

from typing import Any

from app.api.novicezk_routes import SPEED_PREFIXES, SUBMIT_ROWS
from app.api.openapi_parts import (
    DATA_URL,
    DIMS,
    PROMPT,
    STR,
    Schema,
    idempotent,
    obj,
    operation,
    path_params,
)

_MODE: Schema = {"type": "string", "enum": ["FAST", "RELAX", "TURBO"]}
_BOOL: Schema = {"type": "boolean", "nullable": True}
_NZ_COMMON: dict[str, Schema] = {
    "state": {"type": "string", "maxLength": 255},
    "notifyHook": {"type": "string", "maxLength": 2000},
    "botType": {"type": "string", "enum": ["MID_JOURNEY", "NIJI_JOURNEY"]},
    "accountFilter": {  # trueai (docs/accounts.md)
        "type": "object",
        "nullable": True,
        "properties": {
            "instanceId": {"type": "string", "maxLength": 100},
            "modes": {"type": "array", "items": _MODE, "maxItems": 3},
            "remix": _BOOL,
            "nijiRemix": _BOOL,
            "remixAutoConsidered": _BOOL,
            "remark": {"type": "string", "maxLength": 100},
        },
    },
}


def novicezk() -> dict[str, dict[str, Any]]:
    tag = "novicezk"
    ids = {"type": "array", "items": {"oneOf": [STR, {"type": "integer"}]}}
    return idempotent(_novicezk(tag, ids), SUBMIT_ROWS)


def _novicezk(tag: str, ids: Schema) -> dict[str, dict[str, Any]]:
    return {
        "/mj/submit/imagine": {
            "post": operation(
                "Imagine (novicezk)",
                tag,
                obj(
                    ["prompt"],
                    prompt=PROMPT,
                    base64Array={"type": "array", "items": DATA_URL},
                    base64=DATA_URL,
                    **_NZ_COMMON,
                ),
            )
        },
        "/mj/submit/change": {
            "post": operation(
                "U/V/reroll (novicezk)",
                tag,
                obj(
                    ["taskId", "action"],
                    taskId=STR,
                    action={"type": "string", "enum": ["UPSCALE", "VARIATION", "REROLL"]},
                    index={"type": "integer", "minimum": 1, "maximum": 4},
                    **_NZ_COMMON,
                ),
            )
        },
        "/mj/submit/simple-change": {
            "post": operation("`<taskId> U1`", tag, obj(["content"], content=STR, **_NZ_COMMON))
        },
        "/mj/submit/describe": {
            "post": operation("Describe", tag, obj(["base64"], base64=DATA_URL, **_NZ_COMMON))
        },
        "/mj/submit/blend": {
            "post": operation(
                "Blend",
                tag,
                obj(
                    ["base64Array"],
                    base64Array={"type": "array", "items": DATA_URL, "minItems": 2, "maxItems": 5},
                    dimensions=DIMS,
                    **_NZ_COMMON,
                ),
            )
        },
        "/mj/submit/shorten": {
            "post": operation("Shorten (plus)", tag, obj(["prompt"], prompt=PROMPT, **_NZ_COMMON))
        },
        "/mj/submit/action": {
            "post": operation(
                "Press a button (plus); code 21 = modal needed",
                tag,
                obj(["taskId", "customId"], taskId=STR, customId=STR, **_NZ_COMMON),
            )
        },
        "/mj/submit/modal": {
            "post": operation(
                "Modal input (plus)",
                tag,
                obj(["taskId"], taskId=STR, prompt=PROMPT, maskBase64=DATA_URL),
            )
        },
        "/mj/submit/video": {
            "post": operation(
                "A video from an image, or extend a clip (trueai)",
                tag,
                obj(
                    None,
                    prompt=PROMPT,
                    image=STR,
                    endImage=STR,
                    motion={"type": "string", "enum": ["low", "high"]},
                    loop=_BOOL,
                    batchSize={"type": "integer", "enum": [1, 2, 4]},
                    videoType={"type": "string", "maxLength": 64},
                    action={"type": "string", "enum": ["extend"]},
                    taskId=STR,
                    index={"type": "integer", "minimum": 0, "maximum": 3},
                    state=_NZ_COMMON["state"],
                    notifyHook=_NZ_COMMON["notifyHook"],
                ),
            )
        },
        "/mj/task/list": {"get": operation("Newest 100 tasks", tag)},
        "/mj/task/queue": {"get": operation("Waiting tasks", tag)},
        "/mj/task/list-by-condition": {
            "post": operation("Tasks by ids", tag, obj(None, ids=ids)),
        },
        "/mj/task/list-by-ids": {
            "post": operation("Alias of list-by-condition", tag, obj(None, ids=ids))
        },
        "/mj/task/{id}/fetch": {"get": operation("Task JSON", tag, parameters=path_params("id"))},
        "/mj/task/{id}/cancel": {
            "post": operation("Cancel a task", tag, parameters=path_params("id"))
        },
        "/mj/task/{id}/image-seed": {
            "get": operation("Image seed (plus)", tag, parameters=path_params("id"))
        },
        "/mj/account/list": {"get": operation("Accounts (no tokens)", tag)},
        "/mj/account/{id}/fetch": {
            "get": operation("One account", tag, parameters=path_params("id"))
        },
        "/mj/admin/account/{id}/settings": {
            "post": operation(
                "Wished mode / remix of an account (admin secret)",
                tag,
                obj(None, mode=_MODE, remix=_BOOL, remixAutoSubmit=_BOOL),
                parameters=path_params("id"),
            )
        },
    }


def speed_prefixed(nz: dict[str, Any]) -> dict[str, Any]:
    """trueai's `/mj-fast|-relax|-turbo` copies of the submit and task routes."""
    return {
        prefix + path: item
        for prefix in SPEED_PREFIXES
        for path, item in nz.items()
        if path.startswith(("/mj/submit/", "/mj/task/"))
    }
