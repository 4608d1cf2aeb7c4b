"""What a bot message's embed says: a queue notice, a task or account error, a describe or
shorten result, or a notice. Pure; `parse` asks `classify_embed` before it reads the content.
"""

from __future__ import annotations

from typing import Any

from app.discord import bot_errors, content
from app.discord.events import (
    AccountError,
    BotEvent,
    BotNotice,
    Described,
    JobQueued,
    MessageMeta,
    Shortened,
    TaskError,
)
from app.discord.payload import as_list, opt_str

_SHORTEN_FOOTER = "click on a button to imagine"


def classify_embed(meta: MessageMeta, embed: dict[str, Any], d: dict[str, Any]) -> BotEvent | None:
    title, description = (
        opt_str(embed.get("title")),
        opt_str(embed.get("description")),
    )
    color = embed.get("color") if isinstance(embed.get("color"), int) else None
    buttons = content.buttons_of(d.get("components"))
    prompt = _footer_prompt(embed)
    if (title or "").strip().lower() == bot_errors.JOB_QUEUED_TITLE:
        return JobQueued(meta=meta, prompt=prompt, description=description)
    rule = bot_errors.classify_embed(title, description, color)
    reason = (description or title or "").strip()
    if isinstance(rule, bot_errors.TaskRule):
        return TaskError(
            meta=meta,
            prompt=prompt,
            kind=rule.kind,
            title=title,
            reason=reason,
            retryable=rule.retryable,
            buttons=buttons,
        )
    if isinstance(rule, bot_errors.AccountRule):
        return AccountError(
            meta=meta, prompt=prompt, kind=rule.kind, title=title, reason=reason, buttons=buttons
        )
    prompts = content.keycap_items(description)
    components = tuple(as_list(d.get("components")))
    if prompts and _is_shorten(meta, embed):
        return Shortened(meta=meta, prompts=prompts, buttons=buttons, components=components)
    if prompts and _is_describe(meta, embed, buttons):
        image = embed.get("image")
        image_url = opt_str(image.get("url")) if isinstance(image, dict) else None
        return Described(
            meta=meta, prompts=prompts, image_url=image_url, buttons=buttons, components=components
        )
    if title:
        return BotNotice(meta=meta, prompt=prompt, title=title, description=description)
    return None


def _is_shorten(meta: MessageMeta, embed: dict[str, Any]) -> bool:
    footer = embed.get("footer")
    text = str(footer.get("text") or "") if isinstance(footer, dict) else ""
    return meta.interaction_name == "shorten" or _SHORTEN_FOOTER in text.lower()


def _is_describe(meta: MessageMeta, embed: dict[str, Any], buttons: tuple[Any, ...]) -> bool:
    picreader = any("PicReader" in (b.custom_id or "") for b in buttons)
    return meta.interaction_name == "describe" or picreader or isinstance(embed.get("image"), dict)


def _footer_prompt(embed: dict[str, Any]) -> str | None:
    """Error embeds echo the command in the footer: `/imagine <prompt>`."""
    footer = embed.get("footer")
    text = str(footer.get("text") or "") if isinstance(footer, dict) else ""
    if text.startswith("/"):
        _, _, rest = text.partition(" ")
        return rest.strip() or None
    return None
