"""REST routes under `/api/v9` and `/api/v10`, the upload bucket, CDN and inpaint endpoint."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox import errors, image_codec
from app.sandbox.accounts import AccountState
from app.sandbox.commands import command_index, search
from app.sandbox.core import SandboxCore
from app.sandbox.errors import DiscordError, form_error
from app.sandbox.messages import message
from app.sandbox.ratelimit import limited
from app.sandbox.snowflake import is_snowflake
from app.sandbox.store import Submission
from app.sandbox.validation import parse_interaction

Json = dict[str, Any]
Handler = Callable[[Request, AccountState], Awaitable[Response]]


def core_of(request: Request) -> SandboxCore:
    return request.app.state.core


def authed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Check `Authorization` (raw user token), faults and rate limits; add X-RateLimit-*."""

    async def endpoint(request: Request) -> Response:
        core = core_of(request)
        state = core.directory.authenticate(request.headers.get("authorization", ""))
        if state is None or state.banned:
            return errors.UNAUTHORIZED.response()
        user_id = state.account.user_id
        forced = core.faults.take("rate_limit", user_id)
        if forced is not None:
            retry_after = float(forced.params.get("retry_after", 1.0))
            decision = limited(retry_after, core.ratelimiter.limit, "sandbox-fault")
            body = errors.rate_limited_body(retry_after)
            return JSONResponse(body, status_code=429, headers=decision.headers())
        failure = core.faults.take("server_error", user_id)
        if failure is not None:
            status = int(failure.params.get("status", 500))
            return JSONResponse({"message": f"{status}: Server Error", "code": 0}, status)
        decision = core.ratelimiter.check(user_id)
        if not decision.allowed:
            body = errors.rate_limited_body(round(decision.reset_after, 3))
            return JSONResponse(body, status_code=429, headers=decision.headers())
        try:
            response = await handler(request, state)
        except DiscordError as exc:
            response = exc.response()
        response.headers.update(decision.headers())
        return response

    return endpoint


async def read_payload(request: Request) -> Json:
    """JSON, or multipart / urlencoded form with a `payload_json` field."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form()
            raw = form.get("payload_json")
            payload = json.loads(raw if isinstance(raw, str) else "")
        else:
            payload = json.loads(await request.body())
    except (ValueError, TypeError):
        raise errors.INVALID_JSON from None
    if not isinstance(payload, dict):
        raise errors.INVALID_JSON
    return payload


async def gateway_url(request: Request) -> Response:
    return JSONResponse({"url": core_of(request).gateway.public_url})


@authed
async def users_me(request: Request, state: AccountState) -> Response:
    user = state.account.user() | {
        "public_flags": 0, "flags": 0, "banner": None, "accent_color": None, "bio": "",
        "locale": "en-US", "nsfw_allowed": True, "mfa_enabled": False, "premium_type": 0,
        "email": None, "verified": True, "phone": None,
    }  # fmt: skip
    return JSONResponse(user)


@authed
async def interactions(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    payload: Json = {}
    try:
        payload = await read_payload(request)
        it = parse_interaction(core, state, payload)
    except DiscordError as exc:
        _record(core, state, payload, exc.status)
        raise
    _record(core, state, payload, 204, it.id)
    core.bots[it.application_id].accept(it)
    return Response(status_code=204)


def _record(
    core: SandboxCore, state: AccountState, payload: Json, status: int, interaction_id: str = ""
) -> None:
    raw = payload.get("data")
    data: Json = raw if isinstance(raw, dict) else {}
    nonce = payload.get("nonce")
    core.submissions.add(
        Submission(
            nonce=None if nonce is None else str(nonce),
            type=payload.get("type") if isinstance(payload.get("type"), int) else None,
            account=state.account.name,
            status=status,
            custom_id=data.get("custom_id"),
            command=data.get("name") if payload.get("type") == 2 else None,
            interaction_id=interaction_id or None,
        )
    )


@authed
async def create_attachments(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    _channel(core, request)
    body = await read_payload(request)
    files = body.get("files")
    if not isinstance(files, list) or not 1 <= len(files) <= 10:
        raise form_error(["files"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 10 in length.")
    attachments = []
    for index, entry in enumerate(files):
        filename = str(entry.get("filename") or "")
        if not filename or "/" in filename:
            raise form_error(["files", index, "filename"], "BASE_TYPE_REQUIRED", "Bad filename.")
        key = f"{core.services.new_uuid()}/{filename}"
        upload_id = secrets.token_urlsafe(24)
        core.uploads.reserve(key, filename, upload_id)
        url = f"{core.base_url}/_upload/{quote(key)}?upload_id={upload_id}"
        attachments.append({"id": entry.get("id", str(index)), "upload_url": url,
                            "upload_filename": key})  # fmt: skip
    return JSONResponse({"attachments": attachments})


def _channel(core: SandboxCore, request: Request) -> str:
    channel_id = request.path_params["channel_id"]
    if not is_snowflake(channel_id):
        raise errors.not_snowflake("channel_id", channel_id)
    if core.directory.channel_guild(channel_id) is None:
        raise errors.UNKNOWN_CHANNEL
    return channel_id


@authed
async def channel_messages(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    channel_id = _channel(core, request)
    if request.method == "POST":
        return await _post_message(core, state, channel_id, request)
    try:
        limit = min(100, max(1, int(request.query_params.get("limit", "50"))))
    except ValueError:
        raise form_error(["limit"], "NUMBER_TYPE_COERCE", "Value is not int.") from None
    params = request.query_params
    for name in ("before", "after", "around"):
        if name in params and not is_snowflake(params[name]):
            raise errors.not_snowflake(name, params[name])
    history = core.messages.history(
        channel_id, limit, params.get("before"), params.get("after"), params.get("around")
    )
    return JSONResponse(history)


@authed
async def get_message(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    channel_id = _channel(core, request)
    found = core.messages.get(channel_id, request.path_params["message_id"], state.account.user_id)
    if found is None:
        raise errors.UNKNOWN_MESSAGE
    return JSONResponse(found)


async def _post_message(
    core: SandboxCore, state: AccountState, channel_id: str, request: Request
) -> Response:
    """A user's own message with attachments (how image prompts get a CDN URL)."""
    files: list[tuple[str, bytes, str]] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        for key, value in form.multi_items():
            if key.startswith("files[") and isinstance(value, UploadFile):
                data = await value.read()
                files.append((value.filename or "file", data, value.content_type or ""))
        content = form.get("content")
        payload: Json = {"content": content} if isinstance(content, str) else {}
        if "payload_json" in form:
            payload = await read_payload(request)
    else:
        payload = await read_payload(request)
    for index, entry in enumerate(payload.get("attachments") or []):
        upload = core.uploads.get(str(entry.get("uploaded_filename", "")))
        if upload is not None and upload.data is not None:
            files.append((str(entry.get("filename") or upload.filename), upload.data,
                          upload.content_type))  # fmt: skip
        elif "uploaded_filename" in entry:
            raise form_error(["attachments", index], "ATTACHMENT_NOT_FOUND", "Unknown upload.")
    content = str(payload.get("content") or "")
    if not content and not files:
        raise DiscordError(400, 50006, "Cannot send an empty message")
    attachments = []
    for filename, data, content_type in files:
        picture = image_codec.decode(data)
        size = picture.size if picture else None
        attachments.append(core.services.store_file(channel_id, filename, data, content_type, size))
    posted = message(
        id=core.services.new_id(), channel_id=channel_id, guild_id=state.account.guild_id,
        author=state.account.user(), content=content, attachments=attachments,
        nonce=None if payload.get("nonce") is None else str(payload["nonce"]),
    )  # fmt: skip
    core.services.messenger().create(posted, state.account.user_id)
    return JSONResponse(posted)


@authed
async def application_command_index(request: Request, state: AccountState) -> Response:
    return JSONResponse(command_index())


@authed
async def application_command_search(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    _channel(core, request)
    params = request.query_params
    try:
        limit = int(params.get("limit", "25"))
        kind = int(params.get("type", "1"))
    except ValueError:
        raise form_error(["limit"], "NUMBER_TYPE_COERCE", "Value is not int.") from None
    return JSONResponse(search(params.get("query", ""), limit, kind))


API_ROUTES = [
    Route("/gateway", gateway_url),
    Route("/users/@me", users_me),
    Route("/interactions", interactions, methods=["POST"]),
    Route("/channels/{channel_id}/attachments", create_attachments, methods=["POST"]),
    Route("/channels/{channel_id}/messages", channel_messages, methods=["GET", "POST"]),
    Route("/channels/{channel_id}/messages/{message_id}", get_message),
    Route("/channels/{channel_id}/application-commands/search", application_command_search),
    Route("/guilds/{scope_id}/application-command-index", application_command_index),
    Route("/channels/{scope_id}/application-command-index", application_command_index),
    Route("/applications/{scope_id}/application-command-index", application_command_index),
    Route("/users/@me/application-command-index", application_command_index),
]
