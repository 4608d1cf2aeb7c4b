"""Pieces of the hand-built OpenAPI document (app/api/openapi.py): schemas and operations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.domain.limits import DISCORD_PROMPT_MAX_CHARS

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
URL: Schema = {"type": "string", "format": "uri"}
DATA_URL: Schema = {"type": "string", "description": "data:image/png;base64,…"}
JSON_REPLY: Schema = {"description": "JSON reply in the dialect's envelope", "content": {}}
TOO_LARGE: Schema = {
    "description": 'body over the route\'s limit (docs/api.md "Limits"); webman answers 200',
    "content": {},
}
# The default limit (MJRELAY_PROMPT_MAX_CHARS may lower it): Discord's own for a command option.
PROMPT: Schema = {"type": "string", "maxLength": DISCORD_PROMPT_MAX_CHARS}


def obj(required: list[str] | None = None, **props: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


DIMS: Schema = {"type": "string", "enum": ["PORTRAIT", "SQUARE", "LANDSCAPE"]}
WM_COMMON: dict[str, Schema] = {"notifyUrl": URL, "data": {"type": "object"}}


def operation(summary: str, tag: str, body: Schema | None = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {"200": JSON_REPLY}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        op["responses"] = {**op["responses"], "413": TOO_LARGE}
    op.update(extra)
    return op


def query_param(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "required": True, "schema": STR}]


def path_params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": STR} for n in names]


# The `Idempotency-Key` header every submit route takes (app/api/idempotency.py, docs/keys.md).
_IDEMPOTENCY = (
    "Makes the submit safe to retry. The first submit with a key stores it with the request's"
    " fingerprint (route and body) and the task it created, for 24 hours. Within them the same"
    " key with the same request returns that first task (nothing new is created or counted);"
    " with a different request it is refused as a conflict: novicezk `code` 4, webman `code`"
    " 500, Discordxy HTTP 409, each saying the key `was already used with a different"
    " request`. Keys are per caller (each API key its own)."
)
_MODAL_IDEMPOTENCY = (
    "Accepted like on every submit route (1–255 printable ASCII characters), but stores"
    " nothing: the modal's input creates no task, it completes one, so a retry is answered that"
    " the task no longer waits for input."
)


def idempotency_key(description: str = _IDEMPOTENCY) -> dict[str, Any]:
    schema = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


def idempotent(
    paths: dict[str, dict[str, Any]], submits: Iterable[str], *, conflict: bool = False
) -> dict[str, dict[str, Any]]:
    """`paths` with the `Idempotency-Key` header on every operation of the submit routes
    `submits` (new operation objects: several paths share one); `conflict`: the dialect answers
    a conflict with HTTP 409."""
    found = dict(paths)
    for path in submits:
        modal = path.endswith("/submit/modal")
        item = {}
        for method, op in found[path].items():
            header = idempotency_key(_MODAL_IDEMPOTENCY if modal else _IDEMPOTENCY)
            new = {**op, "parameters": [*op.get("parameters", []), header]}
            if conflict and not modal:
                new["responses"] = {**op["responses"], "409": IDEMPOTENCY_CONFLICT}
            item[method] = new
        found[path] = item
    return found


IDEMPOTENCY_CONFLICT: Schema = {
    "description": "the Idempotency-Key was already used with a different request",
    "content": {},
}
