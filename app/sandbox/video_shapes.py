"""Midjourney video on Discord: every wire shape of it in one place (spec v2 §5). Pure.

Confidence is the spec's: custom ids and button labels are H (TA, MU, CI captures); the prompt
echo and the grid's content are M (CI fixtures modelled on a 2026 live capture); the per-clip
("SOLO") message's content and file name, the extend result, the modal's title and label, and the
interim `Animating...` / `Displaying...` edits are L, chosen here (docs/sandbox.md, "Video").
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.sandbox.components import Component, button, link_button, row
from app.sandbox.prompts import Prompt, short_link

MOTIONS = ("low", "high")
BATCH_SIZES = (1, 2, 4)
DEFAULT_BATCH = 4
ANIMATING = "Animating..."  # the start message's edit before the first percentage
DISPLAYING = "Displaying..."  # ... and after the last one
START_PREFIX = "Creating video with prompt "
MODAL_FIELD = "MJ::AnimateModal::prompt"
MODAL_TITLE, MODAL_LABEL = "Animate", "Prompt"  # not captured (ours)
TURBO_REFUSED = "Turbo mode isn't supported for video jobs"
EMOJI = "🎞️"


@dataclass(frozen=True)
class VideoOptions:
    motion: str  # low | high
    end: str | None  # None, "loop" or a URL
    batch: int


def video_options(prompt: Prompt) -> VideoOptions:
    motion = (prompt.param("motion") or "low").lower()
    end = prompt.param("end") or ("loop" if prompt.has("loop") else None)
    batch = prompt.param("bs")
    return VideoOptions(motion, end, int(batch) if batch in ("1", "2", "4") else DEFAULT_BATCH)


def video_error(
    prompt: Prompt, needs_image: bool = True, own_link: Callable[[str], bool] = lambda _: False
) -> tuple[str, str] | None:
    """(bot error name, description) for a video prompt the bot refuses, else None.

    `own_link`: whether a URL is one of the sandbox's own CDN links (they stand in for
    cdn.discordapp.com, so they count as public https links).
    """
    if needs_image and not prompt.image_urls:
        return "invalid_parameter", "A video needs a starting image: put its link first."
    motion = prompt.param("motion")
    if motion is not None and motion.lower() not in MOTIONS:
        return "invalid_parameter", f"Invalid value for `--motion`: `{motion}` (low or high)."
    batch = prompt.param("bs")
    if batch is not None and batch not in ("1", "2", "4"):
        return "invalid_parameter", "Midjourney video supports only 1, 2, or 4 for `--bs`."
    end = prompt.param("end")
    link = (end or "").strip("<>")
    if end is not None and end.lower() != "loop" and not (own_link(link) or is_public_https(link)):
        return "invalid_link", f"The end frame `{end}` must be a public https link."
    return None


def is_public_https(url: str) -> bool:
    """An https URL on a public host (spec §5: the bot says "Invalid link" otherwise)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or host == "localhost" or "." not in host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return not host.endswith((".local", ".internal", ".localhost"))
    return address.is_global


def echo(prompt: Prompt, aspect: tuple[int, int], motion: str | None = None) -> str:
    """The prompt as the bot echoes a video job (CI capture): links shortened, `--loop` as
    `--end loop`, `--video 1` after the other parameters, then `--aspect` unless `--ar` is given.
    """
    parts = [short_link(url) for url in prompt.image_urls]
    if prompt.text:
        parts.append(prompt.text)
    params = [(n, v) for n, v in prompt.params if n not in ("video", "loop")]
    if prompt.has("loop") and not prompt.has("end"):
        params.append(("end", "loop"))
    if motion and not prompt.has("motion"):
        params.append(("motion", motion))
    parts.extend(f"--{name} {value}".strip() for name, value in params)
    parts.append("--video 1")
    if not prompt.has("ar", "aspect"):
        parts.append(f"--aspect {aspect[0]}:{aspect[1]}")
    return " ".join(parts)


COMMON_ASPECTS = ((1, 1), (3, 2), (2, 3), (4, 3), (3, 4), (16, 9), (9, 16), (5, 4), (4, 5),
                  (2, 1), (1, 2), (21, 9), (9, 21))  # fmt: skip


def image_aspect(width: int, height: int) -> tuple[int, int]:
    """The `--aspect` a start image gets: a common ratio within 2% of its shape (the sandbox's
    160x108 grids are 3:2), else its exact ratio reduced."""
    ratio = width / height
    for w, h in COMMON_ASPECTS:
        if abs(w / h - ratio) <= 0.02 * ratio:
            return w, h
    divisor = math.gcd(width, height) or 1
    return width // divisor, height // divisor


def website(job_hash: str) -> str:
    return f"https://midjourney.com/jobs/{job_hash}"


def final_content(shown: str, user_id: str, job_hash: str, mode: str) -> str:
    """The grid's (and a clip's) content: the imagine template with the website link (spec §5.2)."""
    link = f"[(Open on website for full quality)](<{website(job_hash)}>)"
    return f"**{shown}** - <@{user_id}> {link} ({mode})"


def clip_filename(job_hash: str, index: int) -> str:
    """A clip's MP4 (CI: `<uuid>_1_720_N.mp4`; TA parses `<uuid>_0.mp4`): index 0-based (ours)."""
    return f"{job_hash}_{index - 1}_720_N.mp4"


def grid_components(job_hash: str, batch: int) -> list[Component]:
    """U1..U<batch> as `video_virtual_upscale`, reroll, and the website link (spec §5.2)."""
    upscales = [
        button(f"MJ::JOB::video_virtual_upscale::{i}::{job_hash}", f"U{i}")
        for i in range(1, batch + 1)
    ]
    reroll = button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    return [row(*upscales, reroll), row(link_button("Web", website(job_hash)))]


def clip_components(job_hash: str, index: int) -> list[Component]:
    """Under one clip: Extend (High/Low motion), no `::SOLO` (MU regex, TA, CI)."""
    return [
        row(
            button(f"MJ::JOB::animate_high_extend::{index}::{job_hash}",
                   "Extend (High motion)", EMOJI),
            button(f"MJ::JOB::animate_low_extend::{index}::{job_hash}",
                   "Extend (Low motion)", EMOJI),
        ),
        row(link_button("Web", f"{website(job_hash)}?index={index - 1}")),
    ]  # fmt: skip


def modal_custom_id(job_hash: str, index: int, motion: str, extend: bool) -> str:
    """`MJ::AnimateModal::<hash>::<i>::<low|high>::<0|1>` (spec §2.2, M; 1 = extend)."""
    return f"MJ::AnimateModal::{job_hash}::{index}::{motion}::{int(extend)}"
