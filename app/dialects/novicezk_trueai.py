"""trueai's extra task fields in the novicezk dialect (spec v2 §7 "Task JSON"), pure.

A novicezk task submitted while MJRELAY_NOVICEZK_TRUEAI_FIELDS is on carries the flag
`TRUEAI_FIELDS` among its internal properties, so its fetch and its callbacks (rendered by the
worker, which reads no web setting) show the same fields, and a task keeps its shape when the
setting changes later.
"""

from __future__ import annotations

import re
from typing import Any

from app.dialects.common import image_url, input_urls, video_entries
from app.domain.actions import Action
from app.domain.status import TaskStatus
from app.domain.task import Task
from app.domain.video import VIDEO_FACTS

TRUEAI_FIELDS = "_trueai"
_LEADING_LINK = re.compile(r"^\s*<?(https?://[^\s>]+)>?")


def _upper(mode: str | None) -> str | None:
    return mode.upper() if mode else None


def request_mode(task: Task) -> str | None:
    """The mode the client asked: the prefix or prompt flag, else the filter's first choice."""
    if task.request_mode:
        return _upper(task.request_mode)
    return _upper(task.filter_modes[0]) if task.filter_modes else None


def account_filter(task: Task) -> dict[str, Any]:
    found = {
        "instanceId": task.filter_account_id,
        "modes": [m.upper() for m in task.filter_modes] if task.filter_modes else None,
        "remix": task.filter_remix,
        "nijiRemix": task.filter_niji_remix,
        "remixAutoConsidered": task.remix_auto,
    }
    return {k: v for k, v in found.items() if v is not None}


def video_origin_image(task: Task) -> str | None:
    """trueai's `videoGenOriginImageUrl`: the image a video started from. The client's URL when
    it gave one; else the link the bot echoes first in its prompt (the start image as posted to
    Discord, or the upscale an Animate pressed on); None for a task that is no video."""
    if task.action != Action.ANIMATE:
        return None
    given = input_urls(task)
    if given:
        return given[0]
    found = _LEADING_LINK.match(task.final_prompt or "")
    return found.group(1) if found else None


def video_facts(task: Task) -> tuple[int | None, int | None]:
    """(`videoDuration` in seconds, `frameCount`) of clip 1, measured by the worker when the
    video finished; (None, None) when unknown (trueai's `int?` fields are null then)."""
    facts = task.prop(VIDEO_FACTS)
    if not isinstance(facts, dict):
        return None, None
    duration, frames = facts.get("duration"), facts.get("frames")
    return (
        duration if isinstance(duration, int) else None,
        frames if isinstance(frames, int) else None,
    )


def trueai_fields(task: Task) -> dict[str, Any]:
    """The fields trueai's TaskInfo adds to a novicezk task (those mjrelay knows)."""
    image = image_url(task)
    bot_type = task.prop("botType") or "MID_JOURNEY"
    duration, frames = video_facts(task)
    return {
        "mode": _upper(task.mode),
        "requestMode": request_mode(task),
        "instanceId": task.account_id,
        "botType": bot_type,
        "realBotType": bot_type,
        "promptFull": task.final_prompt or task.prompt,
        "imageUrls": [{"url": image, "thumbnail": None}] if image else [],
        "videoUrls": [{"url": url, "thumbnail": poster} for url, poster in video_entries(task)],
        "videoGenOriginImageUrl": video_origin_image(task),
        "videoDuration": duration,
        "frameCount": frames,
        "accountFilter": account_filter(task),
        "messageId": task.message_id,
        "nonce": task.nonce,
        "jobId": task.message_hash,
        "remixAutoSubmit": bool(task.remix_auto),
        "remixModaling": task.status == TaskStatus.MODAL,
    }
