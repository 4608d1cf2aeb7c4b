"""Discord's channel, guild and member objects for the sandbox's one guild. Pure.

Shapes from Discord's API docs (resources/channel, guild, user), as
tests/fixtures/discord/rest-guild-channel.response.json records them. The guild is owned by the
first account; every account and every bot are members.
"""

from __future__ import annotations

from typing import Any

from app.sandbox.accounts import SandboxAccount
from app.sandbox.snowflake import snowflake_timestamp

Json = dict[str, Any]
GUILD_NAME = "mjrelay sandbox"
# @everyone's permissions: view, send, history, use application commands ... (not admin)
EVERYONE_PERMISSIONS = "2222085186637376"


def channel(account: SandboxAccount, position: int, last_message_id: str | None) -> Json:
    return {
        "id": account.channel_id,
        "type": 0,  # GUILD_TEXT
        "guild_id": account.guild_id,
        "name": account.name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "last_message_id": last_message_id,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild(guild_id: str, owner_id: str, system_channel_id: str) -> Json:
    return {
        "id": guild_id, "name": GUILD_NAME, "icon": None, "splash": None,
        "discovery_splash": None, "owner_id": owner_id, "afk_channel_id": None,
        "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 1,
        "explicit_content_filter": 0, "roles": [_everyone(guild_id)], "emojis": [],
        "features": [], "mfa_level": 0, "application_id": None,
        "system_channel_id": system_channel_id, "system_channel_flags": 0,
        "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
        "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": None, "nsfw_level": 0,
        "premium_progress_bar_enabled": False, "stickers": [],
    }  # fmt: skip


def _everyone(guild_id: str) -> Json:
    return {
        "id": guild_id, "name": "@everyone", "color": 0, "hoist": False, "icon": None,
        "unicode_emoji": None, "position": 0, "permissions": EVERYONE_PERMISSIONS,
        "managed": False, "mentionable": False, "flags": 0,
    }  # fmt: skip


def partial_guild(guild_id: str, owner: bool) -> Json:
    """An entry of `GET /users/@me/guilds`."""
    return {
        "id": guild_id,
        "name": GUILD_NAME,
        "icon": None,
        "banner": None,
        "owner": owner,
        "permissions": EVERYONE_PERMISSIONS,
        "features": [],
    }


def member(user: Json, joined_from: str) -> Json:
    """A guild member; `joined_from` is a snowflake whose moment is the join time."""
    return {
        "user": user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [],
        "joined_at": snowflake_timestamp(joined_from),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def search_result(hits: list[Json], total: int, analytics_id: str) -> Json:
    """`GET /guilds/{id}/messages/search`: each hit is a list holding one message."""
    return {
        "total_results": total,
        "messages": [[hit] for hit in hits],
        "analytics_id": analytics_id,
        "doing_deep_historical_index": False,
    }
