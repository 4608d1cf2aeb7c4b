"""Message components (buttons) the simulated bots attach, and parsing of clicked custom ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Component = dict[str, Any]


def button(custom_id: str, label: str | None = None, emoji: str | None = None) -> Component:
    data: Component = {"type": 2, "style": 2, "custom_id": custom_id}
    if label is not None:
        data["label"] = label
    if emoji is not None:
        data["emoji"] = {"name": emoji}
    return data


def link_button(label: str, url: str) -> Component:
    return {"type": 2, "style": 5, "label": label, "url": url}


def row(*buttons: Component) -> Component:
    return {"type": 1, "components": list(buttons)}


def grid_components(job_hash: str) -> list[Component]:
    """U1-U4 + reroll, then V1-V4: what imagine/variation/reroll/pan/zoom/blend results carry."""
    upscales = [button(f"MJ::JOB::upsample::{i}::{job_hash}", f"U{i}") for i in range(1, 5)]
    reroll = button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    variations = [button(f"MJ::JOB::variation::{i}::{job_hash}", f"V{i}") for i in range(1, 5)]
    return [row(*upscales, reroll), row(*variations)]


def upscale_components(job_hash: str, square: bool, version: str = "v6r1") -> list[Component]:
    """Buttons under a single upscaled image (v6.1 layout), keyed by that image's own hash."""
    suffix = f"1::{job_hash}::SOLO"
    zoom_row = [
        button(f"MJ::Outpaint::50::{suffix}", "Zoom Out 2x", "🔍"),
        button(f"MJ::Outpaint::75::{suffix}", "Zoom Out 1.5x", "🔍"),
        button(f"MJ::CustomZoom::{job_hash}", "Custom Zoom", "🔍"),
    ]
    if not square:  # Make Square's real id is not captured anywhere; this one is ours.
        zoom_row.append(button(f"MJ::Outpaint::100::{suffix}", "Make Square", "↔️"))
    return [
        row(
            button(f"MJ::JOB::upsample_{version}_2x_subtle::{suffix}", "Upscale (Subtle)"),
            button(f"MJ::JOB::upsample_{version}_2x_creative::{suffix}", "Upscale (Creative)"),
        ),
        row(
            button(f"MJ::JOB::low_variation::{suffix}", "Vary (Subtle)", "🪄"),
            button(f"MJ::JOB::high_variation::{suffix}", "Vary (Strong)", "🪄"),
            button(f"MJ::Inpaint::{suffix}", "Vary (Region)", "🖌️"),
            # Video (spec §5.1, H for ids and labels); which row they sit in is not captured.
            button(f"MJ::JOB::animate_high::{suffix}", "Animate (High motion)", "🎞️"),
            button(f"MJ::JOB::animate_low::{suffix}", "Animate (Low motion)", "🎞️"),
        ),
        row(*zoom_row),
        row(*(button(f"MJ::JOB::pan_{side}::{suffix}", emoji=arrow) for side, arrow in PAN_ARROWS)),
        row(
            button(f"MJ::BOOKMARK::{job_hash}", emoji="❤️"),
            link_button("Web", f"https://www.midjourney.com/jobs/{job_hash}?index=0"),
        ),
    ]


PAN_ARROWS = (("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️"))


def progress_components(job_hash: str) -> list[Component]:
    return [row(button(f"MJ::CancelJob::ByJobid::{job_hash}", "Cancel Job"))]


def describe_components() -> list[Component]:
    numbers = [button(f"MJ::Job::PicReader::{i}", emoji=f"{i}\ufe0f\u20e3") for i in range(1, 5)]
    return [
        row(*numbers),
        row(
            button("MJ::Picread::Retry", emoji="🔄"),
            button("MJ::Job::PicReader::all", "Imagine all", "🎉"),
        ),
    ]


def shorten_components(count: int) -> list[Component]:
    numbers = [
        button(f"MJ::Job::PromptAnalyzer::{i}", emoji=f"{i}\ufe0f\u20e3")
        for i in range(1, count + 1)
    ]
    return [row(*numbers), row(button("MJ::Job::PromptAnalyzer::show_details", "Show Details"))]


def appeal_components(token: str) -> list[Component]:
    return [row(button(f"MJ::Prompts::Appeal::{token}", "Appeal"))]


def acknowledge_components(token: str) -> list[Component]:
    return [row(button(f"MJ::Prompts::Acknowledge::{token}", "Acknowledged"))]


def custom_ids(components: list[Component]) -> set[str]:
    return {
        item["custom_id"]
        for action_row in components
        for item in action_row.get("components", [])
        if "custom_id" in item
    }


@dataclass(frozen=True)
class Click:
    """A parsed custom id: `action` names the bot behaviour, `hash` the job it refers to."""

    action: str
    index: int = 0
    hash: str = ""
    arg: str = ""


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^MJ::JOB::upsample::(?P<i>[1-4])::(?P<h>[\w-]+)$"), "upsample"),
    (re.compile(r"^MJ::JOB::variation::(?P<i>[1-4])::(?P<h>[\w-]+)$"), "variation"),
    (re.compile(r"^MJ::JOB::reroll::0::(?P<h>[\w-]+)::SOLO$"), "reroll"),
    (re.compile(r"^MJ::JOB::upsample_(?P<a>v\w+?_2x_(subtle|creative))::1::(?P<h>[\w-]+)::SOLO$"),
     "upscale"),
    (re.compile(r"^MJ::JOB::(?P<a>low|high)_variation::1::(?P<h>[\w-]+)::SOLO$"), "vary"),
    (re.compile(r"^MJ::Inpaint::1::(?P<h>[\w-]+)::SOLO$"), "inpaint"),
    (re.compile(r"^MJ::Outpaint::(?P<a>50|75|100)::1::(?P<h>[\w-]+)::SOLO$"), "outpaint"),
    (re.compile(r"^MJ::CustomZoom::(1::)?(?P<h>[\w-]+)$"), "custom_zoom"),
    (re.compile(r"^MJ::JOB::pan_(?P<a>left|right|up|down)::1::(?P<h>[\w-]+)::SOLO$"), "pan"),
    (re.compile(r"^MJ::BOOKMARK::(?P<h>[\w-]+)$"), "bookmark"),
    (re.compile(r"^MJ::JOB::animate_(?P<a>high|low)::(?P<i>1)::(?P<h>[\w-]+)::SOLO$"), "animate"),
    (re.compile(r"^MJ::JOB::animate_(?P<a>high|low)_extend::(?P<i>[1-4])::(?P<h>[\w-]+)$"),
     "animate_extend"),
    (re.compile(r"^MJ::JOB::video_virtual_upscale::(?P<i>[1-4])::(?P<h>[\w-]+)$"),
     "video_virtual_upscale"),
    (re.compile(r"^MJ::CancelJob::ByJobid::(?P<h>[\w-]+)$"), "cancel"),
    (re.compile(r"^MJ::Job::PicReader::(?P<a>[1-4]|all)$"), "picreader"),
    (re.compile(r"^MJ::Picread::Retry$"), "picread_retry"),
    (re.compile(r"^MJ::Job::PromptAnalyzer::(?P<a>\d+|show_details)$"), "prompt_analyzer"),
    (re.compile(r"^MJ::Prompts::(?P<a>Appeal|Acknowledge)::(?P<h>[\w-]+)$"), "moderation"),
    (re.compile(r"^MJ::Settings::(?P<a>[\w:]+)$"), "settings"),
    (re.compile(r"^pika::(?P<a>retry|remix|delete)::(?P<h>\d+)$"), "pika"),
]  # fmt: skip


def parse_custom_id(custom_id: str) -> Click | None:
    for pattern, action in _PATTERNS:
        match = pattern.match(custom_id)
        if match:
            groups = match.groupdict()
            index = int(groups["i"]) if groups.get("i") else 0
            return Click(action, index, groups.get("h") or "", groups.get("a") or "")
    return None
