"""Someone who is not the bots: another bot or a webhook in the channel, dressed as Midjourney.

On Discord any bot or webhook in a channel can post there, with Midjourney's name and avatar and
`author.bot = true`; only `author.id` tells it apart. The `impostor` fault posts such a message so
tests can prove a client believes the bots alone (an embed titled "Blocked", a fake describe
result pointing at another host, a reply to a job's message).
"""

from __future__ import annotations

from typing import Any

from app.sandbox.accounts import AccountState
from app.sandbox.context import BotContext
from app.sandbox.faults import FaultError
from app.sandbox.messages import MJ_BOT, message, reference, referenced

Json = dict[str, Any]

IMPOSTOR_BOT_ID = "1190000000000000077"  # the sandbox's own; no real bot of ours has it
IMPOSTOR_WEBHOOK_ID = "1190000000000000088"


def impostor_author(webhook: bool) -> Json:
    """Midjourney's look (name, avatar, bot flag) with another id."""
    return {**MJ_BOT, "id": IMPOSTOR_WEBHOOK_ID if webhook else IMPOSTOR_BOT_ID}


def post_impostor_message(ctx: BotContext, state: AccountState, params: Json) -> Json:
    """Post `content` / `embed` in the account's channel, replying to `reply_to` if given."""
    embed, content = params.get("embed"), params.get("content", "")
    if embed is not None and not isinstance(embed, dict):
        raise FaultError("impostor: embed must be an object")
    if not isinstance(content, str):
        raise FaultError("impostor: content must be a string")
    webhook = bool(params.get("webhook", False))
    account = state.account
    extra: Json = {"webhook_id": IMPOSTOR_WEBHOOK_ID if webhook else None}
    reply_to = params.get("reply_to")
    if reply_to is not None:
        parent = ctx.find_message(account.channel_id, str(reply_to), account.user_id)
        if parent is None:
            raise FaultError(f"impostor: no message {reply_to} in the account's channel")
        extra.update(
            type=19, message_reference=reference(parent), referenced_message=referenced(parent)
        )
    posted = message(
        id=ctx.new_id(), channel_id=account.channel_id, guild_id=account.guild_id,
        author=impostor_author(webhook), content=content, embeds=[embed] if embed else [],
        mentions=[account.user()], **extra,
    )  # fmt: skip
    return ctx.messenger().create(posted, account.user_id)
