"""All dialects on one port (design.md "Dialects served on one port").

/discordxy/…  /webman/…  /novicezk/…     each dialect under its own prefix, native paths
/image/*, /task/fetch                     webman (behind MJRELAY_WEBMAN_API_PREFIX)
/mj/imagine|change|status, /mj/submit/status, /client/online, /pika/*   Discordxy
/mj/submit/{action,modal,describe,blend,shorten,simple-change}, /mj/task/*, /mj/account/*
                                          novicezk / plus
/mj-fast|-relax|-turbo/mj/submit/*, …/mj/task/*   novicezk, the speed mode trueai's prefix asks
/mj/submit/imagine, /mj/submit/change     MJRELAY_SUBMIT_DIALECT: discordxy | novicezk |
                                          auto (a novicezk-only body field -> novicezk)
/files/{task}/{token}/{name}              result files (docs/api.md)
/openapi.json                             every route above
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from app.api import discordxy_routes, files, novicezk_routes, openapi, webman_routes
from app.api.bodies import read_json
from app.api.callers import authorize
from app.api.endpoint import closing, json_response, service_of, settings_of
from app.config import Settings
from app.dialects import novicezk, novicezk_requests, webman
from app.dialects.common import dumps
from app.domain.errors import CommandError, ErrorKind

_SNIFFED = ("novicezk", "discordxy")


def _either_dialect_error(request: Request, err: CommandError) -> Response:
    """A refusal before the dialect is known: one body that clients of both can read
    (novicezk's `code`/`description`/`result`/`properties`, Discordxy's `message`)."""
    status = _EITHER_STATUS.get(err.kind, 413)
    body = {
        "code": status,
        "description": err.message,
        "message": err.message,
        "result": None,
        "properties": {},
    }
    response = json_response(dumps(body), status)
    if isinstance(err.details.get("retry_after"), int):
        response.headers["retry-after"] = str(err.details["retry_after"])
    return closing(request, response)


_EITHER_STATUS = {ErrorKind.UNAUTHORIZED: 401, ErrorKind.RATE_LIMITED: 429}


async def _admits(request: Request, dialect: str) -> bool:
    """Does `dialect` admit this caller? (a key over its rate is refused outright)"""
    try:
        await authorize(request, dialect)
    except CommandError as err:
        if err.kind == ErrorKind.UNAUTHORIZED:
            return False
        raise
    return True


async def _submit_dialect(request: Request, images: int) -> str:
    """The dialect of a `/mj/submit/imagine|change` call (MJRELAY_SUBMIT_DIALECT).

    `auto` reads the body, so it authenticates first: a client that neither dialect's secret
    admits is refused unread. The body is read up to the largest limit among the dialects that
    admit the client, then the chosen dialect's endpoint checks its own secret as usual.
    """
    settings = settings_of(request)
    if settings.submit_dialect != "auto":
        return settings.submit_dialect
    admitted = [d for d in _SNIFFED if await _admits(request, d)]
    if not admitted:
        raise CommandError(ErrorKind.UNAUTHORIZED, "invalid or missing API secret")
    limits = service_of(request).limits
    limit = limits.body_with_images(images if "novicezk" in admitted else 0)
    try:
        body = await read_json(request, limit)
    except CommandError as err:
        if err.kind == ErrorKind.TOO_LARGE:
            raise
        return "discordxy"
    return "novicezk" if novicezk_requests.is_novicezk_body(body) else "discordxy"


async def submit_imagine(request: Request) -> Response:
    """Discordxy or novicezk imagine, by MJRELAY_SUBMIT_DIALECT (auto: body sniffing)."""
    try:
        dialect = await _submit_dialect(request, service_of(request).limits.imagine_images)
    except CommandError as err:
        return _either_dialect_error(request, err)
    if dialect == "novicezk":
        return await novicezk_routes.submit_imagine(request)
    return await discordxy_routes.imagine(request)


async def submit_change(request: Request) -> Response:
    """Discordxy (`action` U1…) or novicezk (`action` UPSCALE + `index`) change."""
    try:
        dialect = await _submit_dialect(request, 0)
    except CommandError as err:
        return _either_dialect_error(request, err)
    if dialect == "novicezk":
        return await novicezk_routes.submit_change(request)
    return await discordxy_routes.change(request)


def api_routes(settings: Settings) -> list[BaseRoute]:
    prefix = settings.webman_api_prefix
    webman_prefixed = webman_routes.routes("")
    if prefix:
        webman_prefixed += webman_routes.routes(prefix)
    # The routes clients call without a dialect prefix first: Starlette tries routes in order
    # (a regex each), and a fetch polled in a loop was the 27th (no two of these paths overlap).
    return [
        Route("/mj/submit/imagine", submit_imagine, methods=["POST"]),
        Route("/mj/submit/change", submit_change, methods=["POST"]),
        *novicezk_routes.routes(submit_imagine_change=False),
        *discordxy_routes.routes(submit_imagine_change=False),
        *webman_routes.routes(prefix),
        Route("/files/{task_id}/{token}/{name}", files.serve, methods=["GET"]),
        Mount("/discordxy", routes=discordxy_routes.routes()),
        Mount("/webman", routes=webman_prefixed),
        Mount("/novicezk", routes=novicezk_routes.routes()),
        *novicezk_routes.speed_routes(),
        Route("/openapi.json", openapi.endpoint, methods=["GET"], include_in_schema=False),
    ]


def _family(path: str) -> str:
    if path.startswith(("/webman", "/image/", "/task/")):
        return "webman"
    if path.startswith(("/novicezk", "/mj/", "/mj-")):
        return "novicezk"
    if path.startswith(("/discordxy", "/pika/", "/client/")):
        return "discordxy"
    return "other"


def _http_error_body(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    family = _family(request.url.path)
    if family == "webman" and status in (404, 405):
        return json_response(webman.dumps(webman.NOT_FOUND_BODY))
    message = "not found" if status == 404 else getattr(exc, "detail", "error")
    if family == "novicezk":
        return json_response(novicezk.submit_body(status, str(message)), status)
    if family == "discordxy":
        body = {"code": status, "result": None, "message": str(message)}
        return json_response(webman.dumps(body), status)
    headers = getattr(exc, "headers", None)
    return JSONResponse({"error": str(message)}, status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """404 / 405 (and other HTTP errors) as JSON in the family of the path; a body sent to a
    path that takes none is not read, and the connection ends with the answer."""
    return closing(request, _http_error_body(request, exc))


EXCEPTION_HANDLERS = {404: http_error, 405: http_error}
