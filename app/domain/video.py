"""Midjourney video jobs (protocol notes v2 §5): the `/imagine` prompt a video request becomes,
and the checks the bot would otherwise refuse later. Pure.

A video is `/imagine <start image link> <text> --video 1 --motion low|high [--end loop | --end
<link>] [--bs 1|2|4]`; the worker puts the start image's link first, as for any image prompt.
An end frame the client sent as bytes (a data URL) is the task's last input image: the worker
posts it with the start image and writes `--end <its CDN link>` (`END_FRAME`, `with_frame_links`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from app.domain.actions import Action
from app.domain.errors import CommandError, ErrorKind
from app.domain.speed import FAST, RELAX, TURBO

MOTIONS = ("low", "high")
BATCH_SIZES = (1, 2, 4)
TURBO_REFUSED = "Turbo mode isn't supported for video jobs"  # the bot's own words
# Task property: clip 1's length as the worker measured it, {"duration": s, "frames": n}.
VIDEO_FACTS = "_videoFacts"
# Task param: the end frame is the task's last input image (uploaded by the worker, linked there).
END_FRAME = "_endFrame"
_TURBO = re.compile(r"(?:^|\s)--turbo(?:\s|$)", re.IGNORECASE)


def end_link_problem(url: str) -> str | None:
    """Why the bot would answer `Invalid link` for `--end url` (it fetches only public https
    links), or None. Checked on its text only: mjrelay never fetches it."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "Invalid link: not a URL"
    if parts.scheme != "https":
        return "Invalid link: the end image must be an https URL"
    if any(c.isspace() for c in url) or not host:
        return "Invalid link: the end image URL has no host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host or host == "localhost" or host.endswith((".localhost", ".local")):
            return "Invalid link: the end image must be on a public host"
        return None
    return None if address.is_global else "Invalid link: the end image must be on a public host"


def names_turbo(prompt: str) -> bool:
    return _TURBO.search(prompt or "") is not None


def refuse_turbo_video(action: str | None, route_mode: str | None) -> None:
    """A video job asked in turbo (`/mj-turbo/…`) is refused with the bot's own words, before
    it costs anything; a `--turbo` in the prompt is refused by the parser."""
    if action == Action.ANIMATE and route_mode == "turbo":
        raise CommandError(ErrorKind.INVALID, TURBO_REFUSED)


def without_turbo(action: str | None, where: dict[str, Any]) -> dict[str, Any]:
    """A video job that asks no speed mode runs in fast or relax, never in an account's turbo
    default (the bot would refuse it): the task's acceptable modes say so."""
    if action == Action.ANIMATE and not where.get("request_mode"):
        modes = [m for m in where.get("filter_modes") or (FAST, RELAX) if m != TURBO]
        where = {**where, "filter_modes": modes or [FAST, RELAX]}
    return where


def video_prompt(
    text: str, *, motion: str, loop: bool = False, end_url: str | None = None, batch: int = 4
) -> str:
    """The `/imagine` text of a video job (without the start image, which goes first)."""
    parts = [text.strip(), "--video 1", f"--motion {motion}"]
    if loop:
        parts.append("--end loop")
    elif end_url:
        parts.append(f"--end {end_url}")
    if batch != 4:  # 4 is the bot's default (trueai adds --bs only for 1 or 2)
        parts.append(f"--bs {batch}")
    return " ".join(p for p in parts if p)


def with_frame_links(prompt: str, links: list[str], end_uploaded: bool) -> str:
    """The `/imagine` text of a video with its posted images: the start image's link first, and
    an uploaded end frame (the last link) as `--end <link>` (parameters may come in any order)."""
    if end_uploaded and len(links) >= 2:
        *starts, end = links
        return " ".join([*starts, prompt.strip(), f"--end {end}"]).strip()
    return " ".join([*links, prompt]).strip()
