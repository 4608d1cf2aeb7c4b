"""trueai's extra task fields in the novicezk dialect (spec v2 §7 "Task JSON"), pure.

A novicezk task submitted while MJRELAY_NOVICEZK_TRUEAI_FIELDS is on carries the flag
`TRUEAI_FIELDS` among its internal properties, so its fetch and its callbacks (rendered by the
worker, which reads no web setting) show the same fields, and a task keeps its shape when the
setting changes later.
"""

from __future__ import annotations

from typing import Any

from app.dialects.common import image_url, video_urls
from app.domain.status import TaskStatus
from app.domain.task import Task

TRUEAI_FIELDS = "_trueai"


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


def trueai_fields(task: Task) -> dict[str, Any]:
    """The fields trueai's TaskInfo adds to a novicezk task (those mjrelay knows)."""
    image = image_url(task)
    bot_type = task.prop("botType") or "MID_JOURNEY"
    return {
        "mode": _upper(task.mode),
        "requestMode": request_mode(task),
        "instanceId": task.account_id,
        "botType": bot_type,
        "realBotType": bot_type,
        "promptFull": task.final_prompt or task.prompt,
        "imageUrls": [{"url": image, "thumbnail": None}] if image else [],
        "videoUrls": [{"url": url, "thumbnail": None} for url in video_urls(task)],
        "accountFilter": account_filter(task),
        "messageId": task.message_id,
        "nonce": task.nonce,
        "jobId": task.message_hash,
        "remixAutoSubmit": bool(task.remix_auto),
        "remixModaling": task.status == TaskStatus.MODAL,
    }
