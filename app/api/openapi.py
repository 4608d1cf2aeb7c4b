"""`/openapi.json`: every API route, built by hand from the dialect tables (OpenAPI 3.0)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.api.novicezk_routes import SPEED_PREFIXES
from app.domain.limits import DISCORD_PROMPT_MAX_CHARS

Schema = dict[str, Any]

_STR: Schema = {"type": "string"}
_URL: Schema = {"type": "string", "format": "uri"}
_DATA_URL: Schema = {"type": "string", "description": "data:image/png;base64,…"}
_JSON: Schema = {"description": "JSON reply in the dialect's envelope", "content": {}}
_TOO_LARGE: Schema = {
    "description": 'body over the route\'s limit (docs/api.md "Limits"); webman answers 200',
    "content": {},
}
# The default limit (MJRELAY_PROMPT_MAX_CHARS may lower it): Discord's own for a command option.
_PROMPT: Schema = {"type": "string", "maxLength": DISCORD_PROMPT_MAX_CHARS}


def _obj(required: list[str] | None = None, **props: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


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
            "remixAutoConsidered": _BOOL,
            "remark": {"type": "string", "maxLength": 100},
        },
    },
}
_DIMS: Schema = {"type": "string", "enum": ["PORTRAIT", "SQUARE", "LANDSCAPE"]}
_WM_COMMON: dict[str, Schema] = {"notifyUrl": _URL, "data": {"type": "object"}}


def _op(summary: str, tag: str, body: Schema | None = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {"200": _JSON}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        op["responses"] = {**op["responses"], "413": _TOO_LARGE}
    op.update(extra)
    return op


def _query(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "required": True, "schema": _STR}]


def _path(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": _STR} for n in names]


def _novicezk() -> dict[str, dict[str, Any]]:
    tag = "novicezk"
    ids = {"type": "array", "items": {"oneOf": [_STR, {"type": "integer"}]}}
    return {
        "/mj/submit/imagine": {
            "post": _op(
                "Imagine (novicezk)",
                tag,
                _obj(
                    ["prompt"],
                    prompt=_PROMPT,
                    base64Array={"type": "array", "items": _DATA_URL},
                    base64=_DATA_URL,
                    **_NZ_COMMON,
                ),
            )
        },
        "/mj/submit/change": {
            "post": _op(
                "U/V/reroll (novicezk)",
                tag,
                _obj(
                    ["taskId", "action"],
                    taskId=_STR,
                    action={"type": "string", "enum": ["UPSCALE", "VARIATION", "REROLL"]},
                    index={"type": "integer", "minimum": 1, "maximum": 4},
                    **_NZ_COMMON,
                ),
            )
        },
        "/mj/submit/simple-change": {
            "post": _op("`<taskId> U1`", tag, _obj(["content"], content=_STR, **_NZ_COMMON))
        },
        "/mj/submit/describe": {
            "post": _op("Describe", tag, _obj(["base64"], base64=_DATA_URL, **_NZ_COMMON))
        },
        "/mj/submit/blend": {
            "post": _op(
                "Blend",
                tag,
                _obj(
                    ["base64Array"],
                    base64Array={"type": "array", "items": _DATA_URL, "minItems": 2, "maxItems": 5},
                    dimensions=_DIMS,
                    **_NZ_COMMON,
                ),
            )
        },
        "/mj/submit/shorten": {
            "post": _op("Shorten (plus)", tag, _obj(["prompt"], prompt=_PROMPT, **_NZ_COMMON))
        },
        "/mj/submit/action": {
            "post": _op(
                "Press a button (plus); code 21 = modal needed",
                tag,
                _obj(["taskId", "customId"], taskId=_STR, customId=_STR, **_NZ_COMMON),
            )
        },
        "/mj/submit/modal": {
            "post": _op(
                "Modal input (plus)",
                tag,
                _obj(["taskId"], taskId=_STR, prompt=_PROMPT, maskBase64=_DATA_URL),
            )
        },
        "/mj/task/list": {"get": _op("Newest 100 tasks", tag)},
        "/mj/task/queue": {"get": _op("Waiting tasks", tag)},
        "/mj/task/list-by-condition": {
            "post": _op("Tasks by ids", tag, _obj(None, ids=ids)),
        },
        "/mj/task/list-by-ids": {
            "post": _op("Alias of list-by-condition", tag, _obj(None, ids=ids))
        },
        "/mj/task/{id}/fetch": {"get": _op("Task JSON", tag, parameters=_path("id"))},
        "/mj/task/{id}/cancel": {"post": _op("Cancel a task", tag, parameters=_path("id"))},
        "/mj/task/{id}/image-seed": {"get": _op("Image seed (plus)", tag, parameters=_path("id"))},
        "/mj/account/list": {"get": _op("Accounts (no tokens)", tag)},
        "/mj/account/{id}/fetch": {"get": _op("One account", tag, parameters=_path("id"))},
        "/mj/admin/account/{id}/settings": {
            "post": _op(
                "Wished mode / remix of an account (admin secret)",
                tag,
                _obj(None, mode=_MODE, remix=_BOOL, remixAutoSubmit=_BOOL),
                parameters=_path("id"),
            )
        },
    }


def _speed_prefixed(nz: dict[str, Any]) -> dict[str, Any]:
    """trueai's `/mj-fast|-relax|-turbo` copies of the submit and task routes."""
    return {
        prefix + path: item
        for prefix in SPEED_PREFIXES
        for path, item in nz.items()
        if path.startswith(("/mj/submit/", "/mj/task/"))
    }


def _discordxy() -> dict[str, dict[str, Any]]:
    tag = "discordxy"
    imagine = _op("Imagine (Discordxy)", tag, _obj(["prompt"], prompt=_PROMPT, notifyUrl=_URL))
    change = _op(
        "U1–U4, V1–V4, Reroll, Upscale/Vary/Zoom/Pan (Discordxy)",
        tag,
        _obj(["taskId", "action"], taskId=_STR, action=_STR, notifyUrl=_URL),
    )
    status = _op("Status object", tag, parameters=_query("taskId"))
    upload = {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, "prompt": _STR},
    }
    animate = _op("Pika /animate", tag)
    animate["requestBody"] = {
        "required": True,
        "content": {"multipart/form-data": {"schema": upload}},
    }
    animate["responses"] = {**animate["responses"], "413": _TOO_LARGE}
    return {
        "/mj/imagine": {"post": imagine},
        "/mj/change": {"post": change},
        "/mj/status": {"get": status},
        "/mj/submit/status": {"get": status},
        "/client/online": {"get": _op("Accounts online", tag)},
        "/pika/create": {"post": _op("Pika /create", tag, _obj(["prompt"], prompt=_PROMPT))},
        "/pika/animate": {"post": animate},
        "/pika/status": {"get": _op("Pika status", tag, parameters=_query("nonce"))},
        "/mj/submit/imagine": {"post": imagine},
        "/mj/submit/change": {"post": change},
    }


def _webman(prefix: str) -> dict[str, dict[str, Any]]:
    tag = "webman"
    base = f"/{prefix}" if prefix else ""
    images = {"type": "array", "items": _URL}
    return {
        f"{base}/image/imagine": {
            "post": _op(
                "Imagine (webman)",
                tag,
                _obj(["prompt"], prompt=_PROMPT, images=images, **_WM_COMMON),
            )
        },
        f"{base}/image/action": {
            "post": _op(
                "Press a button (webman)",
                tag,
                _obj(
                    ["taskId", "customId"],
                    taskId=_STR,
                    customId=_STR,
                    prompt=_PROMPT,
                    mask=_STR,
                    **_WM_COMMON,
                ),
            )
        },
        f"{base}/image/blend": {
            "post": _op(
                "Blend (webman)",
                tag,
                _obj(["images"], images=images, dimensions=_DIMS, **_WM_COMMON),
            )
        },
        f"{base}/image/describe": {
            "post": _op("Describe (webman)", tag, _obj(["images"], images=images, **_WM_COMMON))
        },
        f"{base}/task/fetch": {"get": _op("Task (webman)", tag, parameters=_query("taskId"))},
    }


def _native() -> dict[str, dict[str, Any]]:
    """mjrelay's own routes: operations, callbacks, and the live event stream."""
    text = {"description": "text", "content": {"text/plain": {"schema": _STR}}}
    return {
        "/healthz": {"get": _op("The process is alive", "operations")},
        "/readyz": {"get": _op("The database answers and is migrated (503 if not)", "operations")},
        "/metrics": {
            "get": {**_op("Prometheus metrics", "operations"), "responses": {"200": text}}
        },
        "/api/tasks/{task_id}/deliveries": {
            "get": _op(
                "A task's callback deliveries with every attempt (docs/callbacks.md)",
                "callbacks",
                parameters=_path("task_id"),
            )
        },
        "/api/deliveries/{delivery_id}/redeliver": {
            "post": _op(
                "Send a callback delivery again (202; 409 while an attempt runs)",
                "callbacks",
                parameters=_path("delivery_id"),
            )
        },
        "/events": {
            "get": {
                **_op(
                    "Task changes as Server-Sent Events, all tasks or `?task_id=` (docs/events.md)",
                    "events",
                    parameters=[{"name": "task_id", "in": "query", "schema": _STR}],
                ),
                "responses": {"200": {"description": "text/event-stream"}},
                "x-mjrelay-stream": True,
            }
        },
    }


def build(webman_prefix: str = "", submit_dialect: str = "auto") -> dict[str, Any]:
    """The document: unprefixed routes as served by default, then each dialect's prefix."""
    nz, dx, wm = _novicezk(), _discordxy(), _webman(webman_prefix)
    shared = {"/mj/submit/imagine", "/mj/submit/change"}
    paths: dict[str, Any] = {}
    paths.update({p: v for p, v in dx.items() if p not in shared})
    paths.update({p: v for p, v in nz.items()})
    paths.update(_speed_prefixed(nz))
    if submit_dialect == "discordxy":
        paths.update({p: dx[p] for p in shared})
    paths.update(wm)
    paths.update({f"/discordxy{p}": v for p, v in dx.items()})
    paths.update({f"/novicezk{p}": v for p, v in nz.items()})
    paths.update({f"/webman{p}": v for p, v in _webman("").items()})
    if webman_prefix:
        paths.update({f"/webman{p}": v for p, v in wm.items()})
    paths["/files/{task_id}/{token}/{name}"] = {
        "get": {
            "summary": "A task's result image or video (durable URL)",
            "tags": ["files"],
            "parameters": _path("task_id", "token", "name"),
            "responses": {"200": {"description": "the file"}, "404": {"description": "unknown"}},
        }
    }
    paths.update(_native())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "mjrelay",
            "version": "1",
            "description": "Discordxy, webman and novicezk/plus dialects on one port "
            "(docs/api.md). `/mj/submit/imagine|change` follow MJRELAY_SUBMIT_DIALECT.",
        },
        "components": {
            "securitySchemes": {
                "mjApiSecret": {"type": "apiKey", "in": "header", "name": "mj-api-secret"},
                "bearer": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{}, {"mjApiSecret": []}, {"bearer": []}],
        "paths": paths,
    }


async def endpoint(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    return JSONResponse(build(settings.webman_api_prefix, settings.submit_dialect))
