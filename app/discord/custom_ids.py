"""Midjourney component custom ids: parse what the bot sent, build what we must send (spec §3.4).

Prefer echoing the custom id found on the received message (`find_button`); the builders exist
for reconciliation and for the ids the spec documents, and agree with the fixtures.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from app.discord.content import last_uuid
from app.discord.events import Button


class ButtonAction(enum.StrEnum):
    UPSCALE = "upscale"  # U1..U4 on a grid
    VARIATION = "variation"  # V1..V4 on a grid
    REROLL = "reroll"
    UPSCALE_SUBTLE = "upscale_subtle"
    UPSCALE_CREATIVE = "upscale_creative"
    UPSCALE_2X = "upscale_2x"
    UPSCALE_4X = "upscale_4x"
    VARY_SUBTLE = "vary_subtle"
    VARY_STRONG = "vary_strong"
    VARY_REGION = "vary_region"
    ZOOM_OUT_2X = "zoom_out_2x"
    ZOOM_OUT_1_5X = "zoom_out_1_5x"
    MAKE_SQUARE = "make_square"
    CUSTOM_ZOOM = "custom_zoom"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    PAN_UP = "pan_up"
    PAN_DOWN = "pan_down"
    ANIMATE_HIGH = "animate_high"
    ANIMATE_LOW = "animate_low"
    BOOKMARK = "bookmark"
    CANCEL_JOB = "cancel_job"
    PICREADER = "picreader"
    PICREADER_ALL = "picreader_all"
    PICREAD_RETRY = "picread_retry"
    PROMPT_ANALYZER = "prompt_analyzer"
    APPEAL = "appeal"
    IFRAME = "iframe"
    REMIX_MODAL = "remix_modal"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class CustomId:
    action: ButtonAction
    raw: str
    job_hash: str | None = None
    index: int | None = None
    variant: str | None = None  # upscaler model ("v6r1"), zoom factor ("50"), token…


# "MJ::Outpaint::<n>": 50 = 2x, 75 = 1.5x; 100 = Make Square is [uncertain] (spec §7.3).
_OUTPAINT = {
    "50": ButtonAction.ZOOM_OUT_2X,
    "75": ButtonAction.ZOOM_OUT_1_5X,
    "100": ButtonAction.MAKE_SQUARE,
}
_JOB_SOLO = {
    "reroll": ButtonAction.REROLL,
    "low_variation": ButtonAction.VARY_SUBTLE,
    "high_variation": ButtonAction.VARY_STRONG,
    "pan_left": ButtonAction.PAN_LEFT,
    "pan_right": ButtonAction.PAN_RIGHT,
    "pan_up": ButtonAction.PAN_UP,
    "pan_down": ButtonAction.PAN_DOWN,
    "animate_high": ButtonAction.ANIMATE_HIGH,
    "animate_low": ButtonAction.ANIMATE_LOW,
}


def parse_custom_id(raw: str) -> CustomId:
    """Classify a custom id; anything unrecognised is `ButtonAction.OTHER`, never an error."""
    parts = raw.split("::")
    if len(parts) < 2 or parts[0] != "MJ":
        return CustomId(action=ButtonAction.OTHER, raw=raw)
    if parts[1] == "JOB" and len(parts) >= 5:
        return _parse_job(parts, raw)
    return _parse_other(parts, raw)


def _parse_job(parts: list[str], raw: str) -> CustomId:
    name, index, job_hash = parts[2], _int(parts[3]), parts[4]
    if name == "upsample":
        return CustomId(action=ButtonAction.UPSCALE, raw=raw, job_hash=job_hash, index=index)
    if name == "variation":
        return CustomId(action=ButtonAction.VARIATION, raw=raw, job_hash=job_hash, index=index)
    if name.startswith("upsample_"):
        model = name.removeprefix("upsample_")
        return CustomId(
            action=_upscaler_action(model), raw=raw, job_hash=job_hash, index=index, variant=model
        )
    action = _JOB_SOLO.get(name, ButtonAction.OTHER)
    return CustomId(action=action, raw=raw, job_hash=job_hash, index=index)


def _upscaler_action(model: str) -> ButtonAction:
    if model.endswith("_subtle"):
        return ButtonAction.UPSCALE_SUBTLE
    if model.endswith("_creative"):
        return ButtonAction.UPSCALE_CREATIVE
    return ButtonAction.UPSCALE_4X if model.endswith("_4x") else ButtonAction.UPSCALE_2X


def _parse_other(parts: list[str], raw: str) -> CustomId:
    kind, rest = parts[1], parts[2:]
    job_hash = last_uuid(raw)
    simple = {
        "Inpaint": ButtonAction.VARY_REGION,
        "CustomZoom": ButtonAction.CUSTOM_ZOOM,
        "BOOKMARK": ButtonAction.BOOKMARK,
        "CancelJob": ButtonAction.CANCEL_JOB,
        "RemixModal": ButtonAction.REMIX_MODAL,
    }
    if kind in simple:
        return CustomId(action=simple[kind], raw=raw, job_hash=job_hash or _last(rest))
    if kind == "Outpaint" and rest:
        action = _OUTPAINT.get(rest[0], ButtonAction.OTHER)
        return CustomId(action=action, raw=raw, job_hash=job_hash, variant=rest[0])
    if kind == "Job" and len(rest) >= 2 and rest[0] == "PicReader":
        if rest[1] == "all":
            return CustomId(action=ButtonAction.PICREADER_ALL, raw=raw)
        return CustomId(action=ButtonAction.PICREADER, raw=raw, index=_int(rest[1]))
    if kind == "Job" and len(rest) >= 2 and rest[0] == "PromptAnalyzer":
        return CustomId(action=ButtonAction.PROMPT_ANALYZER, raw=raw, index=_int(rest[1]))
    if kind == "Picread":
        return CustomId(action=ButtonAction.PICREAD_RETRY, raw=raw)
    if kind == "Prompts" and len(rest) >= 2 and rest[0] == "Appeal":
        return CustomId(action=ButtonAction.APPEAL, raw=raw, variant=rest[1])
    if kind == "iframe" and rest:
        return CustomId(action=ButtonAction.IFRAME, raw=raw, variant=rest[0])
    return CustomId(action=ButtonAction.OTHER, raw=raw, job_hash=job_hash)


# Ids with a fixed shape: only the job hash (and the upscaler model) change. Reroll is here, not
# among the SOLO jobs: its index is 0.
_FIXED_IDS = {
    ButtonAction.REROLL: "MJ::JOB::reroll::0::{job}::SOLO",
    ButtonAction.UPSCALE_SUBTLE: "MJ::JOB::upsample_{model}_2x_subtle::1::{job}::SOLO",
    ButtonAction.UPSCALE_CREATIVE: "MJ::JOB::upsample_{model}_2x_creative::1::{job}::SOLO",
    ButtonAction.UPSCALE_2X: "MJ::JOB::upsample_v5_2x::1::{job}::SOLO",
    ButtonAction.UPSCALE_4X: "MJ::JOB::upsample_v5_4x::1::{job}::SOLO",
    ButtonAction.VARY_REGION: "MJ::Inpaint::1::{job}::SOLO",
    ButtonAction.CUSTOM_ZOOM: "MJ::CustomZoom::{job}",
    ButtonAction.BOOKMARK: "MJ::BOOKMARK::{job}",
    ButtonAction.CANCEL_JOB: "MJ::CancelJob::ByJobid::{job}",
}


def build_custom_id(
    action: ButtonAction, job_hash: str, index: int | None = None, *, model: str = "v6r1"
) -> str:
    """The custom id the bot would put on a result for `action` (spec §3.4 table)."""
    solo = {v: k for k, v in _JOB_SOLO.items()}
    outpaint = {v: k for k, v in _OUTPAINT.items()}
    if action in (ButtonAction.UPSCALE, ButtonAction.VARIATION):
        if index not in (1, 2, 3, 4):
            raise ValueError(f"{action} needs index 1..4, got {index!r}")
        name = "upsample" if action is ButtonAction.UPSCALE else "variation"
        return f"MJ::JOB::{name}::{index}::{job_hash}"
    if action in _FIXED_IDS:
        return _FIXED_IDS[action].format(job=job_hash, model=model)
    if action in solo:
        return f"MJ::JOB::{solo[action]}::1::{job_hash}::SOLO"
    if action in outpaint:
        return f"MJ::Outpaint::{outpaint[action]}::1::{job_hash}::SOLO"
    raise ValueError(f"no documented custom id for {action}")


def find_button(
    buttons: Iterable[Button], action: ButtonAction, index: int | None = None
) -> Button | None:
    """The received button for `action` (and `index` for U/V/PicReader), or None."""
    for button in buttons:
        if button.custom_id is None:
            continue
        parsed = parse_custom_id(button.custom_id)
        if parsed.action is action and (index is None or parsed.index == index):
            return button
    return None


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _last(parts: list[str]) -> str | None:
    return parts[-1] if parts else None


# Modals a button opens only because remix is on (spec v2 §2.2): their field takes a new prompt.
REMIX_MODAL_PREFIXES = ("MJ::RemixModal::", "MJ::ImagineModal::", "MJ::PanModal::")


def is_remix_modal(custom_id: str) -> bool:
    return custom_id.startswith(REMIX_MODAL_PREFIXES)
