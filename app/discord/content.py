"""Reading the Midjourney/Pika bot's message text, attachments and components (spec §3.2–3.4).

The bot's content is regex-matched by every client, so these rules follow the spec exactly:
the prompt sits between the first and the last `**`, the user is `<@id>`, the status is the
last parenthesised group, and the job hash is the last UUID in the attachment *filename*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from app.discord.events import Button

_PROMPT = re.compile(r"\*\*(.*)\*\*", re.S)  # greedy: first ** to last **
_USER = re.compile(r"<@!?(\d+)>")
_MD_LINK = re.compile(r"\[[^\]]*\]\(<?[^)\s]*>?\)")  # "[(Open on website…)](<https://…>)"
_PAREN = re.compile(r"\(([^()]*)\)")
_PERCENT = re.compile(r"\((\d{1,3})%\)")
_IMAGE_INDEX = re.compile(r"\bImage #(\d+)")
_LABEL = re.compile(r"^(.*?)\s+by\s+<@")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_PIKA_PROMPT = re.compile(r"Prompt:\s*(.*?)\s*-?\s*(?:\bAuthor:|$)", re.S)
_SEED = re.compile(r"_seed(\d+)")
_KEYCAP_LINE = re.compile(r"^\s*([1-9])\ufe0f?\u20e3\s*(.+?)\s*$")
_MODES = ("fast", "relaxed", "relax", "turbo")
# Final labels of variations (spec v2 §2.2): `Variations (Strong) by`, `Remix (Subtle) by`.
_VARIATION = re.compile(r"^(Variations|Remix)\s*\((Strong|Subtle)\)", re.I)
_VIDEO_EXT = (".mp4", ".webm", ".mov", ".gif")


@dataclass(frozen=True, kw_only=True)
class ParsedContent:
    prompt: str | None = None
    user_id: str | None = None
    percent: int | None = None
    mode: str | None = None
    action_label: str | None = None
    image_index: int | None = None
    waiting: bool = False
    stopped: bool = False


def parse_content(content: str) -> ParsedContent:
    """Split `**prompt** - <label by> <@user> (status) (mode)` into its parts."""
    match = _PROMPT.search(content)
    if match is None:
        pika = _PIKA_PROMPT.search(content)
        user = _USER.search(content)
        return ParsedContent(
            prompt=pika.group(1) if pika else None, user_id=user.group(1) if user else None
        )
    tail = _MD_LINK.sub("", content[match.end() :]).strip()
    tail = tail.removeprefix("-").strip()
    groups = _PAREN.findall(tail)
    last = groups[-1].strip().lower() if groups else ""
    user = _USER.search(tail)
    percent = _PERCENT.search(tail)
    index = _IMAGE_INDEX.search(tail)
    label = _LABEL.match(tail)
    return ParsedContent(
        prompt=match.group(1).strip(),
        user_id=user.group(1) if user else None,
        percent=min(int(percent.group(1)), 100) if percent else None,
        mode=_mode_of(last),
        action_label=label.group(1).strip() if label and label.group(1).strip() else None,
        image_index=int(index.group(1)) if index else None,
        waiting=last == "waiting to start",
        stopped=last == "stopped",
    )


def variation_of(label: str | None) -> tuple[bool, str] | None:
    """`Remix (Strong)` → (True, "strong"); `Variations (Subtle)` → (False, "subtle")."""
    found = _VARIATION.match(label or "")
    if found is None:
        return None
    return found.group(1).lower() == "remix", found.group(2).lower()


def _mode_of(status: str) -> str | None:
    head = status.split(",")[0].strip()
    if head in _MODES:
        return "relaxed" if head == "relax" else head
    return None


# ---------------------------------------------------------------------------- attachments


def last_uuid(text: str | None) -> str | None:
    found = _UUID.findall(text or "")
    return found[-1].lower() if found else None


def first_attachment(message: dict[str, Any]) -> dict[str, Any] | None:
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        return attachments[0]
    return None


def is_video(attachment: dict[str, Any]) -> bool:
    content_type = str(attachment.get("content_type") or "")
    filename = str(attachment.get("filename") or "").lower()
    return content_type.startswith("video/") or filename.endswith(_VIDEO_EXT)


def job_hash(message: dict[str, Any]) -> str | None:
    """The job id: last UUID in the attachment filename, else in a button id (spec §3.3)."""
    attachment = first_attachment(message)
    if attachment is not None:
        found = last_uuid(str(attachment.get("filename") or ""))
        if found:
            return found
    for button in iter_buttons(message.get("components")):
        found = last_uuid(button.custom_id)
        if found:
            return found
    if attachment is not None and is_video(attachment):
        # Pika names files `<words>_seed<digits>.mp4`; the seed is its only stable id.
        seed = _SEED.search(str(attachment.get("filename") or ""))
        return seed.group(1) if seed else _str_or_none(attachment.get("id"))
    return None


# ---------------------------------------------------------------------------- components


def iter_buttons(components: Any) -> Iterator[Button]:
    """Flatten action rows into `Button`s, skipping anything that is not a component dict."""
    for row in components if isinstance(components, list) else ():
        if not isinstance(row, dict):
            continue
        children = row.get("components") if row.get("type") == 1 else [row]
        for child in children if isinstance(children, list) else ():
            if isinstance(child, dict) and child.get("type") in (2, 3):
                yield _button(child)


def buttons_of(components: Any) -> tuple[Button, ...]:
    return tuple(iter_buttons(components))


def _button(child: dict[str, Any]) -> Button:
    emoji = child.get("emoji")
    return Button(
        custom_id=_str_or_none(child.get("custom_id")),
        label=_str_or_none(child.get("label")),
        emoji=_str_or_none(emoji.get("name")) if isinstance(emoji, dict) else None,
        style=child.get("style") if isinstance(child.get("style"), int) else None,
        url=_str_or_none(child.get("url")),
        component_type=int(child.get("type") or 2),
    )


def keycap_items(description: str | None) -> tuple[str, ...]:
    """Lines/paragraphs starting with 1️⃣..9️⃣ (describe and shorten results), emoji removed."""
    items: list[str] = []
    for line in _lines(description or ""):
        match = _KEYCAP_LINE.match(line)
        if match:
            items.append(match.group(2))
    return tuple(items)


def _lines(text: str) -> Iterable[str]:
    return (line for line in text.splitlines() if line.strip())


def _str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)
