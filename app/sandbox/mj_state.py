"""What the Midjourney bot remembers: jobs running, finished results, open modals and editors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from app.sandbox.bot_flags import Flags, JobFaults
from app.sandbox.bounds import BOT_RECORDS, BOT_RESULTS, BoundedDict
from app.sandbox.components import Click, Component, grid_components, upscale_components
from app.sandbox.interactions import Interaction
from app.sandbox.messages import Origin
from app.sandbox.mj_profile import GRID_MINUTES, UPSCALE_MINUTES, VIDEO_MINUTES
from app.sandbox.prompts import Prompt, display_prompt
from app.sandbox.video_media import VideoMedia, VideoPlan

Json = dict[str, Any]


@dataclass
class Result:
    """A finished image the bot remembers, so its buttons can be clicked later."""

    hash: str
    kind: str  # grid | single | video
    prompt: Prompt
    image: Image.Image
    user_id: str
    message: Json
    tile: tuple[int, int]
    video: VideoMedia | None = None  # a video job's clips
    echo: str = ""  # a video job's prompt as the bot wrote it


@dataclass
class Job:
    it: Interaction
    origin: Origin
    prompt: Prompt
    label: str  # "" for imagine, "Variations (Strong) by " ...
    kind: str  # grid | single | video
    render: Callable[[], Image.Image]
    tile: tuple[int, int]
    hash: str
    faults: JobFaults
    relaxed: bool = False
    progress_label: str | None = None  # "Upscaling by " for the upscalers
    echo_nonce: bool = True
    uses_slot: bool = True
    progress: bool = True
    reply_to: Json | None = None  # U1-U4 results are replies to the grid
    components: Callable[[str], list[Component]] = grid_components
    mode_suffix: bool = True
    render_key: Hashable | None = None  # what the picture depends on, for the render cache
    video: VideoPlan | None = None  # a video job: its media, not `render`, is what it posts
    echo: str | None = None  # the prompt as written between `**` (video jobs normalise it)
    start_prefix: str = ""  # before the start message's content ("Creating video with prompt ")
    cancelled: bool = field(default=False, repr=False)
    cancel_requested: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def cancel(self) -> None:
        self.cancelled = True
        self.cancel_requested.set()

    @property
    def user_id(self) -> str:
        return self.it.user_id

    @property
    def mode(self) -> str:
        if self.relaxed:
            return "relaxed"
        return "turbo" if is_turbo(self.it, self.prompt) else "fast"

    def usage(self) -> tuple[int, float]:
        """(images, GPU minutes) the finished job adds; U1-U4 crops are free, as on Midjourney."""
        if not self.uses_slot:
            return 0, 0.0
        if self.video is not None:
            return self.video.batch, VIDEO_MINUTES
        return (4, GRID_MINUTES) if self.kind == "grid" else (1, UPSCALE_MINUTES)

    def content(self, status: str | None, label: str | None = None) -> str:
        label = self.label if label is None else label
        shown = self.echo if self.echo is not None else display_prompt(self.prompt)
        text = f"**{shown}** - {label}<@{self.user_id}>"
        return f"{text} ({status})" if status else text


@dataclass
class PendingModal:
    kind: str  # custom_zoom | picreader | imagine | remix
    user_id: str
    custom_id: str
    hash: str = ""
    text: str = ""
    click: Click | None = None  # remix: the button that opened it


@dataclass
class PendingIframe:
    it: Interaction
    result: Result
    flags: Flags


@dataclass
class Memory:
    """Running and queued jobs are bounded by the account's slots; the rest keeps the newest."""

    results: dict[str, Result] = field(default_factory=lambda: BoundedDict(BOT_RESULTS))
    running: dict[str, Job] = field(default_factory=dict)  # job hash -> job
    queued: dict[str, Job] = field(default_factory=dict)  # job hash -> job waiting for a slot
    modals: dict[str, PendingModal] = field(default_factory=lambda: BoundedDict(BOT_RECORDS))
    iframes: dict[str, PendingIframe] = field(default_factory=lambda: BoundedDict(BOT_RECORDS))
    # describe/shorten message id -> its prompts; describe message id -> the picture described
    prompt_lists: dict[str, list[str]] = field(default_factory=lambda: BoundedDict(BOT_RECORDS))
    describe_sources: dict[str, Image.Image] = field(
        default_factory=lambda: BoundedDict(BOT_RECORDS)
    )


def is_relaxed(it: Interaction, prompt: Prompt) -> bool:
    if prompt.has("fast", "turbo"):
        return False
    return prompt.has("relax") or it.prefs.mode == "relax"


def is_turbo(it: Interaction, prompt: Prompt) -> bool:
    if prompt.has("fast", "relax"):
        return False
    return prompt.has("turbo") or it.prefs.mode == "turbo"


def upscale_buttons(tile: tuple[int, int]) -> Callable[[str], list[Component]]:
    square = tile[0] == tile[1]
    return lambda job_hash: upscale_components(job_hash, square)
