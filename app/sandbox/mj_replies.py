"""The Midjourney bot's non-job replies: error embeds, modals, iframes, describe/shorten text."""

from __future__ import annotations

import math
import random
from typing import Any

from PIL import Image

from app.sandbox import images
from app.sandbox.components import Component, row
from app.sandbox.messages import RED, BotIdentity, Origin, embed, message

Json = dict[str, Any]

# error name -> (embed title, description); "failed" is plain content, "captcha" an iframe.
BOT_ERROR_TEXT: dict[str, tuple[str, str]] = {
    "banned_prompt": (
        "Banned prompt detected",
        "Sorry! Our AI moderator thinks this prompt is probably against our community "
        "standards.\n\nPlease review our current community standards (sandbox text).",
    ),
    "invalid_parameter": ("Invalid parameter", "Invalid value"),
    "queue_full": (
        "Queue full",
        "Your job queue is full. Please wait for a job to finish first, then resubmit this one.",
    ),
    "pending_mod": (
        "Pending mod message",
        "You have a pending moderation message. Please acknowledge it before using the bot "
        "further.",
    ),
    "action_needed": (
        "Action needed to continue",
        "Sorry! Our AI moderators feel your prompt might be against our community standards. "
        'If you think this is a mistake, please press the "Appeal" button below.',
    ),
    "credits_exhausted": (
        "Credits exhausted",
        "You have run out of fast GPU time. Use /relax to keep creating in relax mode.",
    ),
    "action_restricted": (
        "Job action restricted",
        "You are not allowed to perform this action on this job (sandbox text).",
    ),
    "blocked": (
        "Blocked",
        "You have been blocked from accessing Midjourney. This happens on repeated or serious "
        "ToS violations.",
    ),
    "invalid_link": ("Invalid link", "The image could not be read (sandbox text)."),
    "empty_prompt": ("Empty prompt", "Your prompt is empty (sandbox text)."),
    "duplicate_images": ("Duplicate images detected", "Blend needs distinct images."),
}
FAILED_CONTENT = "Failed to process your command :( (sandbox)"
CAPTCHA_TITLE = "Action required to continue"


def application(bot: BotIdentity) -> Json:
    """The `application` block of modal events."""
    return {"id": bot.application_id, "name": bot.name, "icon": bot.user["avatar"],
            "description": ""}  # fmt: skip


def error_message(
    *,
    bot: BotIdentity,
    id: str,
    origin: Origin,
    channel_id: str,
    title: str | None,
    description: str,
    footer: str | None = None,
    components: list[Component] | None = None,
    content: str = "",
) -> Json:
    """An ephemeral bot reply echoing the nonce (the shape of mj-error-banned)."""
    embeds = []
    if title is not None:
        footer_json = {"text": footer} if footer else None
        embeds.append(embed(title, description, RED, footer=footer_json))
    return message(
        id=id, type=20 if origin.interaction_type == 2 else 0, channel_id=channel_id,
        guild_id=origin.guild_id, author=bot.user, content=content, mentions=[origin.user],
        embeds=embeds, components=components, flags=64, application_id=bot.application_id,
        nonce=origin.nonce, interaction=origin.interaction(),
        interaction_metadata=origin.metadata(),
    )  # fmt: skip


def modal_create(
    bot: BotIdentity,
    interaction_id: str,
    nonce: str | None,
    channel_id: str,
    custom_id: str,
    title: str,
    input_id: str,
    label: str,
    value: str,
) -> Json:
    text_input = {
        "type": 4,
        "custom_id": input_id,
        "style": 2,
        "label": label,
        "value": value,
        "required": True,
        "min_length": 1,
        "max_length": 4000,
    }
    return {
        "id": interaction_id,
        "nonce": nonce,
        "channel_id": channel_id,
        "custom_id": custom_id,
        "title": title,
        "application": {**application(bot), "bot": bot.user},
        "components": [row(text_input)],
    }


def iframe_modal_create(
    bot: BotIdentity,
    interaction_id: str,
    nonce: str | None,
    channel_id: str,
    token: str,
    title: str,
    path: str,
) -> Json:
    return {
        "id": interaction_id,
        "nonce": nonce,
        "channel_id": channel_id,
        "custom_id": f"MJ::iframe::{token}",
        "title": title,
        "iframe_path": path,
        "modal_size": 2,
        "application": application(bot),
    }


KEYCAPS = [f"{n}\ufe0f\u20e3" for n in range(1, 10)]
_DESCRIBE_TEMPLATES = [
    "{a} and {b} abstract landscape, soft gradients, dreamy atmosphere, digital painting",
    "a minimalist composition of {a} shapes over a {b} sky, flat illustration, calm mood",
    "{a} geometric forms floating in {b} mist, cinematic lighting, shallow depth of field",
    "an impressionist study in {a} and {b}, loose brushwork, gallery print",
    "surreal {a} horizon with {b} reflections, wide angle, vibrant colors",
]


def describe_prompts(image: Image.Image, salt: str) -> list[str]:
    """Four plausible prompts from the image's colours and aspect ratio (deterministic)."""
    colours = [*images.dominant_colours(image), "soft", "golden"]
    divisor = math.gcd(image.width, image.height) or 1
    aspect = f"--ar {image.width // divisor}:{image.height // divisor}"
    templates = random.Random(salt).sample(_DESCRIBE_TEMPLATES, 4)
    return [f"{t.format(a=colours[0], b=colours[1])} {aspect}" for t in templates]


def describe_text(prompts: list[str]) -> str:
    return "\n\n".join(f"{KEYCAPS[i]} {prompt}" for i, prompt in enumerate(prompts))


def shorten_prompts(text: str) -> tuple[list[str], str]:
    """Five shorter prompts and the "important tokens" analysis, from the prompt's words."""
    words = text.split()
    ranked = sorted(words, key=lambda w: (-len(w), words.index(w)))
    keep_counts = [max(1, math.ceil(len(words) * f)) for f in (0.8, 0.65, 0.5, 0.35, 0.2)]
    prompts = []
    for count in keep_counts:
        kept = set(ranked[:count])
        prompts.append(" ".join(w for w in words if w in kept) or text)
    analysis = " ".join(w if w in set(ranked[: keep_counts[2]]) else f"~~{w}~~" for w in words)
    return prompts, analysis


def shorten_text(prompts: list[str], analysis: str) -> str:
    options = "\n".join(f"{KEYCAPS[i]} {p}" for i, p in enumerate(prompts))
    return f"**IMPORTANT TOKENS**\n{analysis}\n\n**SHORTENED OPTIONS**\n{options}"
