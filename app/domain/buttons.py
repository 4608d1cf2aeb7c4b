"""Buttons: raw Discord components on a task, and what pressing one (by custom_id) means.

A task keeps the bot message's `components` exactly as Discord sent them: a list of action rows
`{"type": 1, "components": [{"type": 2, "style": 2, "label": "U1", "custom_id": "MJ::…"}, …]}`.
Dialects render them (webman nested raw, plus flat `customId`), and follow-up requests are
checked against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.domain.actions import Action

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class ButtonRef:
    """What pressing a custom_id does: the action, plus its index / variant (zoom, motion)."""

    action: Action
    custom_id: str
    index: int | None = None
    variant: str | None = None
    job_hash: str | None = None


_JOB = {
    "upsample": Action.UPSCALE,
    "variation": Action.VARIATION,
    "reroll": Action.REROLL,
    "low_variation": Action.VARIATION_SUBTLE,
    "high_variation": Action.VARIATION_STRONG,
    "pan_left": Action.PAN_LEFT,
    "pan_right": Action.PAN_RIGHT,
    "pan_up": Action.PAN_UP,
    "pan_down": Action.PAN_DOWN,
}


def classify(custom_id: str) -> ButtonRef | None:
    """The action a Midjourney custom_id triggers, or None when it is not one we can press."""
    if not isinstance(custom_id, str):
        return None
    parts = custom_id.split("::")
    if len(parts) < 3 or parts[0] != "MJ":
        return None
    found = _UUID.findall(custom_id)
    job_hash = found[-1] if found else None
    kind, rest = parts[1], parts[2:]
    if kind == "JOB" and len(rest) >= 2:
        return _classify_job(custom_id, rest, job_hash)
    return _classify_other(custom_id, kind, rest, job_hash)


def _classify_job(custom_id: str, rest: list[str], job_hash: str | None) -> ButtonRef | None:
    name, index = rest[0], _int(rest[1])
    if name in _JOB:
        if name in ("upsample", "variation") and index not in (1, 2, 3, 4):
            return None
        return ButtonRef(_JOB[name], custom_id, index=index, job_hash=job_hash)
    if name.startswith("upsample_"):
        model = name.removeprefix("upsample_")
        if model.endswith("_subtle"):
            action = Action.UPSCALE_SUBTLE
        elif model.endswith("_creative"):
            action = Action.UPSCALE_CREATIVE
        elif model.endswith("_4x"):
            action = Action.UPSCALE_4X
        else:
            action = Action.UPSCALE_2X
        return ButtonRef(action, custom_id, index=index, variant=model, job_hash=job_hash)
    if name == "video_virtual_upscale" and index in (1, 2, 3, 4):
        # One clip of a video grid (trueai: UPSCALE): its MP4 answers as a reply to the grid.
        return ButtonRef(Action.UPSCALE, custom_id, index=index, job_hash=job_hash)
    if name in ("animate_high", "animate_low", "animate_high_extend", "animate_low_extend"):
        # Animate on an upscale, Extend on a clip (no `::SOLO`): a new video job either way.
        motion = name.removeprefix("animate_").removesuffix("_extend")
        return ButtonRef(Action.ANIMATE, custom_id, index=index, variant=motion, job_hash=job_hash)
    return None


def _classify_other(
    custom_id: str, kind: str, rest: list[str], job_hash: str | None
) -> ButtonRef | None:
    if kind == "Outpaint" and rest:
        if rest[0] in ("50", "75"):
            return ButtonRef(Action.ZOOM_OUT, custom_id, variant=rest[0], job_hash=job_hash)
        if rest[0] == "100":
            return ButtonRef(Action.MAKE_SQUARE, custom_id, variant=rest[0], job_hash=job_hash)
        return None
    simple = {
        "CustomZoom": Action.ZOOM_CUSTOM,
        "Inpaint": Action.VARIATION_REGION,
        "CancelJob": Action.CANCEL_JOB,
    }
    if kind in simple:
        return ButtonRef(simple[kind], custom_id, job_hash=job_hash)
    if kind == "Job" and len(rest) >= 2 and rest[0] == "PicReader":
        if rest[1] == "all":
            return ButtonRef(Action.PIC_READER_ALL, custom_id)
        index = _int(rest[1])
        return ButtonRef(Action.PIC_READER, custom_id, index=index) if index else None
    if kind == "Job" and len(rest) >= 2 and rest[0] == "PromptAnalyzer":
        index = _int(rest[1])
        return ButtonRef(Action.PROMPT_ANALYZER, custom_id, index=index) if index else None
    if kind == "Picread" and rest and rest[0] == "Retry":
        return ButtonRef(Action.PIC_READ_RETRY, custom_id)
    return None


def iter_components(buttons: Any) -> Iterator[dict[str, Any]]:
    """Every button component of `buttons` (action rows, rows as lists, or a flat list)."""
    if not isinstance(buttons, list):
        return
    for item in buttons:
        if isinstance(item, list):
            yield from (c for c in item if isinstance(c, dict))
        elif isinstance(item, dict) and isinstance(item.get("components"), list):
            yield from (c for c in item["components"] if isinstance(c, dict))
        elif isinstance(item, dict):
            yield item


def button_rows(buttons: Any) -> list[list[dict[str, Any]]]:
    """`buttons` as a list of rows, each a list of component dicts."""
    rows: list[list[dict[str, Any]]] = []
    if not isinstance(buttons, list):
        return rows
    for item in buttons:
        if isinstance(item, list):
            rows.append([c for c in item if isinstance(c, dict)])
        elif isinstance(item, dict) and isinstance(item.get("components"), list):
            rows.append([c for c in item["components"] if isinstance(c, dict)])
        elif isinstance(item, dict):
            rows.append([item])
    return rows


def custom_ids(buttons: Any) -> list[str]:
    return [c["custom_id"] for c in iter_components(buttons) if isinstance(c.get("custom_id"), str)]


def find_custom_id(buttons: Any, custom_id: str) -> ButtonRef | None:
    """The pressable button with exactly this custom_id, or None."""
    if custom_id not in custom_ids(buttons):
        return None
    return classify(custom_id)


def find_action(
    buttons: Any, action: Action, index: int | None = None, variant: str | None = None
) -> ButtonRef | None:
    """The first button on the task that triggers `action` (with that index / variant)."""
    for custom_id in custom_ids(buttons):
        ref = classify(custom_id)
        if ref is None or ref.action != action:
            continue
        if index is not None and ref.index != index:
            continue
        if variant is not None and ref.variant != variant:
            continue
        return ref
    return None


def grid_custom_id(action: Action, index: int, job_hash: str) -> str:
    """The id MJ puts on a grid's U/V/reroll buttons (for parents stored without buttons)."""
    if action == Action.UPSCALE:
        return f"MJ::JOB::upsample::{index}::{job_hash}"
    if action == Action.VARIATION:
        return f"MJ::JOB::variation::{index}::{job_hash}"
    if action == Action.REROLL:
        return f"MJ::JOB::reroll::0::{job_hash}::SOLO"
    raise ValueError(f"{action} is not a grid button")


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
