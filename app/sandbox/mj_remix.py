"""Remix mode: which modal a variation-type click opens, and what its submit runs as.

Spec v2 §2.2 (H): with remix on, V1-V4, Vary (Subtle/Strong), reroll and pan answer with
INTERACTION_MODAL_CREATE instead of a job; the type 5 submit runs the job with its prompt.
Titles and input labels are not captured anywhere (ours).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from app.sandbox.components import Click
from app.sandbox.mj_profile import Profile
from app.sandbox.mj_state import Result
from app.sandbox.video_shapes import MODAL_FIELD, MODAL_LABEL, MODAL_TITLE, modal_custom_id

REMIX_ACTIONS = frozenset({"variation", "vary", "reroll", "pan", "animate", "animate_extend"})


@dataclass(frozen=True)
class RemixModal:
    custom_id: str
    field: str  # the text input's custom_id
    title: str
    label: str


def remix_modal(click: Click, result: Result, high_variation: bool) -> RemixModal:
    """The modal a click opens; V1-V4's strength follows the account's variation mode."""
    remix_field = "MJ::RemixModal::new_prompt"
    if click.action == "variation":
        strength = int(high_variation)
        custom_id = f"MJ::RemixModal::{result.hash}::{click.index}::{strength}"
        label = f"New prompt for image #{click.index}"
        return RemixModal(custom_id, remix_field, "Remix Prompt", label)
    if click.action == "vary":
        custom_id = f"MJ::RemixModal::{result.hash}::1::{int(click.arg == 'high')}"
        return RemixModal(custom_id, remix_field, "Remix Prompt", "New prompt for image")
    if click.action in ("animate", "animate_extend"):  # spec §2.2 (M): last part 1 = extend
        extend = click.action == "animate_extend"
        custom_id = modal_custom_id(result.hash, click.index, click.arg, extend)
        return RemixModal(custom_id, MODAL_FIELD, MODAL_TITLE, MODAL_LABEL)
    if click.action == "reroll":
        custom_id = f"MJ::ImagineModal::{result.message['id']}"
        return RemixModal(custom_id, "MJ::ImagineModal::new_prompt", "Imagine This!", "Prompt")
    custom_id = f"MJ::PanModal::{click.arg}::{result.hash}::1"
    return RemixModal(custom_id, "MJ::PanModal::prompt", f"Pan {click.arg.title()}", "Prompt")


def submitted_click(click: Click, modal_custom_id: str) -> Click:
    """The click to run for a submit: a variation takes its strength from the modal's last part."""
    if click.action != "variation":
        return click
    strong = modal_custom_id.endswith("::1")
    return dataclasses.replace(click, arg="high" if strong else "low")


def remix_label(click: Click) -> str:
    """`Remix (Strong) by ` / `Remix (Subtle) by ` for the variation-type remixes."""
    return f"Remix ({'Strong' if click.arg == 'high' else 'Subtle'}) by "


def variation_strength(profile: Profile) -> str:
    """What V1-V4 do without remix: `high` (Strong) or `low` (Subtle), as the panel says."""
    return "high" if profile.high_variation else "low"
