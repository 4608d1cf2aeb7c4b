"""`/openapi.json`: every API route, built by hand from the dialect tables (OpenAPI 3.0)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.api import discordxy_routes, webman_routes
from app.api.openapi_novicezk import novicezk, speed_prefixed
from app.api.openapi_parts import (
    DIMS,
    PROMPT,
    STR,
    TOO_LARGE,
    URL,
    WM_COMMON,
    idempotent,
    obj,
    operation,
    path_params,
    query_param,
)


def _discordxy() -> dict[str, dict[str, Any]]:
    tag = "discordxy"
    imagine = operation("Imagine (Discordxy)", tag, obj(["prompt"], prompt=PROMPT, notifyUrl=URL))
    change = operation(
        "U1–U4, V1–V4, Reroll, Upscale/Vary/Zoom/Pan (Discordxy)",
        tag,
        obj(["taskId", "action"], taskId=STR, action=STR, notifyUrl=URL),
    )
    status = operation("Status object", tag, parameters=query_param("taskId"))
    upload = {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, "prompt": STR},
    }
    animate = operation("Pika /animate", tag)
    animate["requestBody"] = {
        "required": True,
        "content": {"multipart/form-data": {"schema": upload}},
    }
    animate["responses"] = {**animate["responses"], "413": TOO_LARGE}
    paths = {
        "/mj/imagine": {"post": imagine},
        "/mj/change": {"post": change},
        "/mj/status": {"get": status},
        "/mj/submit/status": {"get": status},
        "/client/online": {"get": operation("Accounts online", tag)},
        "/pika/create": {"post": operation("Pika /create", tag, obj(["prompt"], prompt=PROMPT))},
        "/pika/animate": {"post": animate},
        "/pika/status": {"get": operation("Pika status", tag, parameters=query_param("nonce"))},
        "/mj/submit/imagine": {"post": imagine},
        "/mj/submit/change": {"post": change},
    }
    submits = [*discordxy_routes.SUBMITS, "/mj/submit/imagine", "/mj/submit/change"]
    return idempotent(paths, submits, conflict=True)


def _webman(prefix: str) -> dict[str, dict[str, Any]]:
    tag = "webman"
    base = f"/{prefix}" if prefix else ""
    images = {"type": "array", "items": URL}
    paths = {
        f"{base}/image/imagine": {
            "post": operation(
                "Imagine (webman)",
                tag,
                obj(["prompt"], prompt=PROMPT, images=images, **WM_COMMON),
            )
        },
        f"{base}/image/action": {
            "post": operation(
                "Press a button (webman)",
                tag,
                obj(
                    ["taskId", "customId"],
                    taskId=STR,
                    customId=STR,
                    prompt=PROMPT,
                    mask=STR,
                    **WM_COMMON,
                ),
            )
        },
        f"{base}/image/blend": {
            "post": operation(
                "Blend (webman)",
                tag,
                obj(["images"], images=images, dimensions=DIMS, **WM_COMMON),
            )
        },
        f"{base}/image/describe": {
            "post": operation("Describe (webman)", tag, obj(["images"], images=images, **WM_COMMON))
        },
        f"{base}/task/fetch": {
            "get": operation("Task (webman)", tag, parameters=query_param("taskId"))
        },
    }
    return idempotent(paths, [base + path for path in webman_routes.SUBMITS])


def _native() -> dict[str, dict[str, Any]]:
    """mjrelay's own routes: operations, callbacks, and the live event stream."""
    text = {"description": "text", "content": {"text/plain": {"schema": STR}}}
    return {
        "/healthz": {"get": operation("The process is alive", "operations")},
        "/readyz": {
            "get": operation("The database answers and is migrated (503 if not)", "operations")
        },
        "/metrics": {
            "get": {**operation("Prometheus metrics", "operations"), "responses": {"200": text}}
        },
        "/api/tasks/{task_id}/deliveries": {
            "get": operation(
                "A task's callback deliveries with every attempt (docs/callbacks.md)",
                "callbacks",
                parameters=path_params("task_id"),
            )
        },
        "/api/deliveries/{delivery_id}/redeliver": {
            "post": operation(
                "Send a callback delivery again (202; 409 while an attempt runs)",
                "callbacks",
                parameters=path_params("delivery_id"),
            )
        },
        "/events": {
            "get": {
                **operation(
                    "Task changes as Server-Sent Events, all tasks or `?task_id=` (docs/events.md)",
                    "events",
                    parameters=[{"name": "task_id", "in": "query", "schema": STR}],
                ),
                "responses": {"200": {"description": "text/event-stream"}},
                "x-mjrelay-stream": True,
            }
        },
    }


def build(webman_prefix: str = "", submit_dialect: str = "auto") -> dict[str, Any]:
    """The document: unprefixed routes as served by default, then each dialect's prefix."""
    nz, dx, wm = novicezk(), _discordxy(), _webman(webman_prefix)
    shared = {"/mj/submit/imagine", "/mj/submit/change"}
    paths: dict[str, Any] = {}
    paths.update({p: v for p, v in dx.items() if p not in shared})
    paths.update({p: v for p, v in nz.items()})
    paths.update(speed_prefixed(nz))
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
            "parameters": path_params("task_id", "token", "name"),
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
