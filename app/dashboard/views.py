"""What the dashboard shows of a task: plain dicts for templates and for `GET /events` (pure).

`task_state(task)` is the JSON of one task in the event stream (docs/events.md); media URLs in
it are paths on this server (`/files/…`) when the task has durable result files, and the
stream makes them absolute for each client. `button_views(task)` lists the bot's buttons with
what pressing each one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.dialects.common import media_extension
from app.domain import buttons as btn
from app.domain.actions import MODAL_ACTIONS, Action
from app.domain.results import result_source
from app.domain.status import FINAL_STATUSES, TaskStatus
from app.domain.task import Task

STATUSES = tuple(s.value for s in TaskStatus)
# Statuses shown as "working" (MODAL waits for the person, PENDING for a free account).
ACTIVE = frozenset({TaskStatus.STARTED, TaskStatus.SUBMITTED, TaskStatus.RUNNING})

# Buttons the dashboard cannot press: they need a mask (Vary Region) or are bookmarks/links.
_NOT_PRESSABLE = frozenset({Action.VARIATION_REGION, Action.CANCEL_JOB})
# Buttons that need a prompt from the person pressing them (the bot opens a modal).
PROMPTED = frozenset(MODAL_ACTIONS - {Action.VARIATION_REGION})


def file_path(task: Task, kind: str) -> str | None:
    """This server's durable path for a result, or the raw URL for tasks without a file token."""
    raw = result_source(task, kind)
    if not raw:
        return None
    token = task.prop("_file_token")
    if not token:
        return raw
    return f"/files/{task.id}/{token}/{kind}{media_extension(raw)}"


def shown_image(task: Task) -> str | None:
    """The image to show now: the result, else the live preview of a running job."""
    return file_path(task, "image") or task.preview_url


@dataclass(frozen=True)
class ButtonView:
    label: str
    custom_id: str
    action: str | None
    pressable: bool
    needs_prompt: bool
    style: int
    prefill: str = ""  # what the prompt field offers before the person edits it


_NAMES = {
    Action.REROLL: "Reroll",
    Action.PAN_LEFT: "← Pan left",
    Action.PAN_RIGHT: "Pan right →",
    Action.PAN_UP: "↑ Pan up",
    Action.PAN_DOWN: "↓ Pan down",
    Action.PIC_READ_RETRY: "Retry",
    Action.PIC_READER_ALL: "Imagine all",
}


def _label(component: dict[str, Any], ref: btn.ButtonRef | None) -> str:
    """The button's own label; for emoji-only buttons a name (emoji fonts are often missing)."""
    label = component.get("label")
    if isinstance(label, str) and label.strip():
        return label.strip()
    if ref is not None:
        if ref.action in _NAMES:
            return _NAMES[ref.action]
        if ref.index is not None and ref.action in (Action.PIC_READER, Action.PROMPT_ANALYZER):
            return f"Imagine {ref.index}"
        return ref.action.replace("_", " ").capitalize()
    parts = str(component.get("custom_id", "")).split("::")
    if len(parts) > 1 and parts[1].isalpha():
        return parts[1].capitalize()  # MJ::BOOKMARK::… -> Bookmark
    emoji = component.get("emoji")
    name = emoji.get("name") if isinstance(emoji, dict) else None
    return name if isinstance(name, str) and name else "button"


def _prefill(task: Task, ref: btn.ButtonRef | None) -> str:
    """Describe/shorten numbers offer their own prompt; Custom Zoom the prompt with --zoom."""
    if ref is None or ref.action not in PROMPTED:
        return ""
    prompts = task.prop("prompts")
    if ref.action in (Action.PIC_READER, Action.PROMPT_ANALYZER) and isinstance(prompts, list):
        index = (ref.index or 1) - 1
        if 0 <= index < len(prompts) and isinstance(prompts[index], str):
            return prompts[index]
    prompt = task.final_prompt or task.prompt
    return f"{prompt} --zoom 2" if ref.action == Action.ZOOM_CUSTOM else prompt


def button_views(task: Task) -> list[list[ButtonView]]:
    """The bot's buttons by row; link buttons (no custom_id) are left out."""
    rows = []
    for row in btn.button_rows(task.buttons):
        views = []
        for component in row:
            custom_id = component.get("custom_id")
            if not isinstance(custom_id, str):
                continue
            ref = btn.classify(custom_id)
            pressable = (
                ref is not None
                and ref.action not in _NOT_PRESSABLE
                and task.status == TaskStatus.SUCCESS
                and not component.get("disabled")
            )
            views.append(
                ButtonView(
                    label=_label(component, ref),
                    custom_id=custom_id,
                    action=str(ref.action) if ref else None,
                    pressable=pressable,
                    needs_prompt=ref is not None and ref.action in PROMPTED,
                    style=int(component.get("style") or 2),
                    prefill=_prefill(task, ref),
                )
            )
        if views:
            rows.append(views)
    return rows


def task_state(task: Task) -> dict[str, Any]:
    """One task as the event stream sends it (a stable, documented shape)."""
    return {
        "id": task.id,
        "seq": task.event_seq,
        "status": task.status,
        "progress": 100 if task.status == TaskStatus.SUCCESS else task.progress,
        "action": task.action,
        "bot": task.bot,
        "dialect": task.dialect,
        "prompt": task.prompt,
        "final_prompt": task.final_prompt,
        "description": task.description,
        "account_id": task.account_id,
        "parent_id": task.parent_id,
        "image_url": file_path(task, "image"),
        "preview_url": task.preview_url,
        "video_url": file_path(task, "video"),
        "fail_reason": task.fail_reason,
        "buttons": [
            {"label": b.label, "custom_id": b.custom_id, "action": b.action}
            for row in button_views(task)
            for b in row
        ],
        "submit_time": task.submit_time,
        "start_time": task.start_time,
        "finish_time": task.finish_time,
        "final": task.status in FINAL_STATUSES,
    }


def absolute(state: dict[str, Any], base: str) -> dict[str, Any]:
    """`state` with this server's paths turned into URLs under `base` (scheme://host)."""
    out = dict(state)
    for key in ("image_url", "video_url"):
        value = out.get(key)
        if isinstance(value, str) and value.startswith("/"):
            out[key] = base + value
    return out


def status_class(status: str) -> str:
    if status == TaskStatus.SUCCESS:
        return "ok"
    if status in (TaskStatus.FAILURE, TaskStatus.CANCEL):
        return "bad"
    if status in ACTIVE:
        return "busy"
    return "wait"
