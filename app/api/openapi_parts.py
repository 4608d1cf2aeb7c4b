"""Pieces of the hand-built OpenAPI document (app/api/openapi.py): schemas and operations."""

from __future__ import annotations

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
