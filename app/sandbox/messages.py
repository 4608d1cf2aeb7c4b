"""Discord message objects as the bots send them (the shapes of spec/discord-fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.sandbox.snowflake import snowflake_timestamp

Json = dict[str, Any]


def bot_user(id: str, username: str, discriminator: str, avatar: str, public_flags: int) -> Json:
    """A bot's user object, as it appears in `author` and `mentions`."""
    return {
        "id": id,
        "username": username,
        "discriminator": discriminator,
        "avatar": avatar,
        "bot": True,
        "global_name": None,
        "public_flags": public_flags,
    }


MJ_APPLICATION_ID = "936929561302675456"
MJ_BOT = bot_user(
    MJ_APPLICATION_ID, "Midjourney Bot", "9282", "f6ce562a6b4979c4b1cbc5b436d3be76", 589824
)
# niji・journey: a second bot speaking the Midjourney protocol (spec v2 §0, §6: author id =
# application id, username contains "journey Bot"). Its avatar hash and discriminator are ours.
NIJI_APPLICATION_ID = "1022952195194359889"
NIJI_BOT = bot_user(
    NIJI_APPLICATION_ID, "niji・journey Bot", "9138", "6f0b1c1fe4e5b8a3a0c7e44a56f1a6d2", 589824
)
# Pika's real application id is not known from any source; this one is the sandbox's own.
PIKA_APPLICATION_ID = "1123437775926251530"
PIKA_BOT = bot_user(PIKA_APPLICATION_ID, "Pika", "0517", "7a1f0c4e2b9d8e6f5a4b3c2d1e0f9a8b", 65536)


@dataclass(frozen=True)
class BotIdentity:
    """Who a Midjourney-protocol bot is: its ids, its author object, its picture style."""

    application_id: str
    user: Json  # the message `author` (and the modal's `application.bot`)
    name: str  # the application's name
    style: str  # "" for Midjourney's pictures, "niji" for niji's (images.render_grid)


MIDJOURNEY = BotIdentity(MJ_APPLICATION_ID, MJ_BOT, "Midjourney Bot", "")
NIJI = BotIdentity(NIJI_APPLICATION_ID, NIJI_BOT, "niji・journey Bot", "niji")

EPHEMERAL = 64
RED = 16711680
WARNING = 16239475
DESCRIBE_COLOUR = 3092790


@dataclass(frozen=True)
class Origin:
    """The interaction a bot message answers (its nonce, interaction, interaction_metadata)."""

    interaction_id: str
    interaction_type: int  # 2 command, 3 component, 5 modal submit
    user: Json
    guild_id: str
    command: str = ""  # command name for type 2
    interacted_message_id: str = ""  # for type 3
    nonce: str | None = None

    def interaction(self) -> Json | None:
        """The deprecated `interaction` block: present for slash commands only."""
        if self.interaction_type != 2:
            return None
        return {"id": self.interaction_id, "type": 2, "name": self.command, "user": self.user}

    def metadata(self, named: bool = False) -> Json:
        data: Json = {
            "id": self.interaction_id,
            "type": self.interaction_type,
            "user": self.user,
            "authorizing_integration_owners": {"0": self.guild_id},
        }
        if self.interacted_message_id:
            data["interacted_message_id"] = self.interacted_message_id
        if named:  # describe/shorten: trueai reads these non-standard fields
            data["name"] = self.command
            data["command_type"] = 1
        return data


def message(
    *,
    id: str,
    channel_id: str,
    guild_id: str,
    author: Json,
    content: str = "",
    type: int = 0,
    mentions: list[Json] | None = None,
    attachments: list[Json] | None = None,
    embeds: list[Json] | None = None,
    components: list[Json] | None = None,
    flags: int = 0,
    application_id: str | None = None,
    edited_timestamp: str | None = None,
    **extra: Any,
) -> Json:
    """A full message object; `extra` adds nonce/interaction/... only when not None."""
    data: Json = {
        "id": id,
        "type": type,
        "channel_id": channel_id,
        "guild_id": guild_id,
        "author": author,
        "content": content,
        "timestamp": snowflake_timestamp(id),
        "edited_timestamp": edited_timestamp,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "flags": flags,
    }
    if application_id is not None:
        data["application_id"] = application_id
    data.update({key: value for key, value in extra.items() if value is not None})
    return data


def attachment(
    id: str, filename: str, url: str, size: int, width: int | None, height: int | None, ctype: str
) -> Json:
    data: Json = {"id": id, "filename": filename, "size": size, "url": url, "proxy_url": url}
    if width is not None and height is not None:
        data["width"], data["height"] = width, height
    data["content_type"] = ctype
    return data


def embed(title: str | None, description: str, color: int, **extra: Any) -> Json:
    data: Json = {"type": "rich"}
    if title is not None:
        data["title"] = title
    data["color"] = color
    data["description"] = description
    data.update({key: value for key, value in extra.items() if value is not None})
    return data


def referenced(parent: Json) -> Json:
    """The partial `referenced_message` Discord embeds in a reply."""
    keys = ("id", "channel_id", "author", "content", "type", "flags")
    return {key: parent[key] for key in keys}


def reference(parent: Json) -> Json:
    return {
        "type": 0,
        "message_id": parent["id"],
        "channel_id": parent["channel_id"],
        "guild_id": parent["guild_id"],
    }
