"""What a task does: the superset of every dialect's action vocabulary (spec §F.2)."""

from __future__ import annotations

import enum


class Bot(enum.StrEnum):
    MJ = "mj"
    NIJI = "niji"  # niji・journey: Midjourney's protocol, its own application
    PIKA = "pika"


class Action(enum.StrEnum):
    IMAGINE = "IMAGINE"
    DESCRIBE = "DESCRIBE"
    BLEND = "BLEND"
    SHORTEN = "SHORTEN"
    # Grid buttons.
    UPSCALE = "UPSCALE"  # U1..U4
    VARIATION = "VARIATION"  # V1..V4
    REROLL = "REROLL"
    # Buttons on an upscaled image.
    UPSCALE_SUBTLE = "UPSCALE_SUBTLE"
    UPSCALE_CREATIVE = "UPSCALE_CREATIVE"
    UPSCALE_2X = "UPSCALE_2X"
    UPSCALE_4X = "UPSCALE_4X"
    VARIATION_SUBTLE = "VARIATION_SUBTLE"
    VARIATION_STRONG = "VARIATION_STRONG"
    VARIATION_REGION = "VARIATION_REGION"  # Vary (Region): modal with mask + prompt
    ZOOM_OUT = "ZOOM_OUT"  # params.zoom "50" (2x) or "75" (1.5x)
    MAKE_SQUARE = "MAKE_SQUARE"
    ZOOM_CUSTOM = "ZOOM_CUSTOM"  # Custom Zoom: modal with prompt `--zoom n`
    PAN_LEFT = "PAN_LEFT"
    PAN_RIGHT = "PAN_RIGHT"
    PAN_UP = "PAN_UP"
    PAN_DOWN = "PAN_DOWN"
    ANIMATE = "ANIMATE"  # video buttons; params.motion "high" | "low"
    # Buttons on describe / shorten results.
    PIC_READER = "PIC_READER"  # imagine one described prompt (modal)
    PIC_READER_ALL = "PIC_READER_ALL"
    PIC_READ_RETRY = "PIC_READ_RETRY"
    PROMPT_ANALYZER = "PROMPT_ANALYZER"  # imagine one shortened prompt (modal)
    CANCEL_JOB = "CANCEL_JOB"
    # Pika.
    PIKA_CREATE = "PIKA_CREATE"
    PIKA_ANIMATE = "PIKA_ANIMATE"


# Actions that press a button on a parent task's message.
BUTTON_ACTIONS = frozenset(
    a
    for a in Action
    if a
    not in {
        Action.IMAGINE,
        Action.DESCRIBE,
        Action.BLEND,
        Action.SHORTEN,
        Action.PIKA_CREATE,
        Action.PIKA_ANIMATE,
    }
)

# Buttons whose press opens a modal that needs client input (plus: code 21, then /submit/modal).
MODAL_ACTIONS = frozenset(
    {Action.ZOOM_CUSTOM, Action.VARIATION_REGION, Action.PIC_READER, Action.PROMPT_ANALYZER}
)
