"""The REST calls self-bot clients make at start-up or while polling, beyond interactions.

Get Channel, Get Guild, Get Current User Guilds, Get Guild Channels, Get (Current User) Guild
Member, Get User, and message search; unknown ids get Discord's `{"message", "code"}` 404s and a
path id that is not a snowflake `400 50035`.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox import discord_objects, errors
from app.sandbox.accounts import AccountState, SandboxAccount
from app.sandbox.core import SandboxCore
from app.sandbox.errors import form_error
from app.sandbox.message_search import HAS_VALUES, SearchQuery
from app.sandbox.messages import MJ_BOT, NIJI_BOT, PIKA_BOT
from app.sandbox.rest import authed, core_of
from app.sandbox.snowflake import is_snowflake

Json = dict[str, Any]
SEARCH_PAGE = 25  # Discord's search page size (and the most `limit` may ask for)
SEARCH_MAX_OFFSET = 9975
SNOWFLAKE_FILTERS = ("channel_id", "author_id", "mentions", "min_id", "max_id")
BOTS = (MJ_BOT, NIJI_BOT, PIKA_BOT)  # members of every guild, as bots are


def _id(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if not is_snowflake(value):
        raise errors.not_snowflake(name, value)
    return value


def _guild_accounts(core: SandboxCore, guild_id: str) -> list[SandboxAccount]:
    accounts = [a for a in core.accounts if a.guild_id == guild_id]
    if not accounts:
        raise errors.UNKNOWN_GUILD
    return accounts


def _channel_json(core: SandboxCore, account: SandboxAccount) -> Json:
    newest = core.messages.history(account.channel_id, 1)
    position = core.accounts.index(account)
    return discord_objects.channel(account, position, newest[0]["id"] if newest else None)


@authed
async def get_channel(request: Request, state: AccountState) -> Response:
    core, channel_id = core_of(request), _id(request, "channel_id")
    for account in core.accounts:
        if account.channel_id == channel_id:
            return JSONResponse(_channel_json(core, account))
    raise errors.UNKNOWN_CHANNEL


@authed
async def get_guild(request: Request, state: AccountState) -> Response:
    core, guild_id = core_of(request), _id(request, "guild_id")
    accounts = _guild_accounts(core, guild_id)
    owner = accounts[0]
    return JSONResponse(discord_objects.guild(guild_id, owner.user_id, owner.channel_id))


@authed
async def guild_channels(request: Request, state: AccountState) -> Response:
    core, guild_id = core_of(request), _id(request, "guild_id")
    return JSONResponse([_channel_json(core, a) for a in _guild_accounts(core, guild_id)])


@authed
async def current_user_guilds(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    guild_id = state.account.guild_id
    owner = _guild_accounts(core, guild_id)[0].user_id == state.account.user_id
    params = request.query_params
    for name in ("before", "after"):
        if name in params and not is_snowflake(params[name]):
            raise errors.not_snowflake(name, params[name])
    guilds = [discord_objects.partial_guild(guild_id, owner)]
    if "before" in params:
        guilds = [g for g in guilds if int(g["id"]) < int(params["before"])]
    if "after" in params:
        guilds = [g for g in guilds if int(g["id"]) > int(params["after"])]
    return JSONResponse(guilds[: _int(params, "limit", 200, 1, 200)])


def _members(core: SandboxCore, guild_id: str) -> dict[str, Json]:
    accounts = _guild_accounts(core, guild_id)
    users = {a.user_id: a.user() for a in accounts}
    users.update({bot["id"]: bot for bot in BOTS})
    return {user_id: discord_objects.member(user, guild_id) for user_id, user in users.items()}


@authed
async def guild_member(request: Request, state: AccountState) -> Response:
    core, guild_id, user_id = core_of(request), _id(request, "guild_id"), _id(request, "user_id")
    found = _members(core, guild_id).get(user_id)
    if found is None:
        raise errors.UNKNOWN_MEMBER
    return JSONResponse(found)


@authed
async def current_user_member(request: Request, state: AccountState) -> Response:
    core, guild_id = core_of(request), _id(request, "guild_id")
    if guild_id != state.account.guild_id:
        raise errors.UNKNOWN_GUILD
    return JSONResponse(_members(core, guild_id)[state.account.user_id])


@authed
async def get_user(request: Request, state: AccountState) -> Response:
    core, user_id = core_of(request), _id(request, "user_id")
    users = {a.user_id: a.user() for a in core.accounts}
    users.update({bot["id"]: bot for bot in BOTS})
    if user_id not in users:
        raise errors.UNKNOWN_USER
    return JSONResponse(users[user_id])


@authed
async def guild_search(request: Request, state: AccountState) -> Response:
    core, guild_id = core_of(request), _id(request, "guild_id")
    accounts = _guild_accounts(core, guild_id)
    return _search(core, request, [a.channel_id for a in accounts])


@authed
async def channel_search(request: Request, state: AccountState) -> Response:
    core, channel_id = core_of(request), _id(request, "channel_id")
    if core.directory.channel_guild(channel_id) is None:
        raise errors.UNKNOWN_CHANNEL
    return _search(core, request, [channel_id])


def _search(core: SandboxCore, request: Request, channel_ids: list[str]) -> Response:
    query = _search_query(request, channel_ids)
    messages = [m for cid in query.channel_ids for m in core.messages.history(cid, 1_000_000)]
    hits = query.run(messages)
    params = request.query_params
    limit = _int(params, "limit", SEARCH_PAGE, 1, SEARCH_PAGE)
    offset = _int(params, "offset", 0, 0, SEARCH_MAX_OFFSET)
    page = hits[offset : offset + limit]
    return JSONResponse(discord_objects.search_result(page, len(hits), secrets.token_hex(16)))


def _search_query(request: Request, channel_ids: list[str]) -> SearchQuery:
    """content, author_id, channel_id, mentions, has (repeatable), min_id, max_id, sort_order."""
    params = request.query_params
    ids = {name: params.getlist(name) for name in SNOWFLAKE_FILTERS}
    for name, values in ids.items():
        bad = next((value for value in values if not is_snowflake(value)), None)
        if bad is not None:
            raise errors.not_snowflake(name, bad)
    has = frozenset(params.getlist("has"))
    if not has <= HAS_VALUES:
        raise form_error(
            ["has"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(HAS_VALUES)}."
        )
    wanted = [cid for cid in ids["channel_id"] or channel_ids if cid in channel_ids]
    return SearchQuery(
        content=params.get("content", "")[:1024], author_ids=frozenset(ids["author_id"]),
        mentions=frozenset(ids["mentions"]), has=has,
        min_id=int(ids["min_id"][0]) if ids["min_id"] else None,
        max_id=int(ids["max_id"][0]) if ids["max_id"] else None,
        newest_first=params.get("sort_order", "desc") != "asc", channel_ids=wanted,
    )  # fmt: skip


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise form_error([name], "NUMBER_TYPE_COERCE", f'Value "{raw[:40]}" is not int.') from None
    if not low <= value <= high:
        raise form_error(
            [name], "NUMBER_TYPE_MAX" if value > high else "NUMBER_TYPE_MIN",
            f"int value should be between {low} and {high}.",
        )  # fmt: skip
    return value


# Mounted before rest.API_ROUTES: `messages/search` must win over `messages/{message_id}`.
GUILD_ROUTES = [
    Route("/channels/{channel_id}", get_channel),
    Route("/channels/{channel_id}/messages/search", channel_search),
    Route("/users/@me/guilds", current_user_guilds),
    Route("/users/@me/guilds/{guild_id}/member", current_user_member),
    Route("/users/{user_id:int}", get_user),  # not /users/@me (rest.py)
    Route("/guilds/{guild_id}", get_guild),
    Route("/guilds/{guild_id}/channels", guild_channels),
    Route("/guilds/{guild_id}/members/{user_id}", guild_member),
    Route("/guilds/{guild_id}/messages/search", guild_search),
]
