"""Midjourney video media, drawn once per job: clip frames, the animated WebP grid, MP4 clips. Pure.

A video job (`VideoPlan`) makes `batch` clips (1, 2 or 4) that start on the start image and move
the camera (more with `--motion high`), crossfading into the end image (`--end`; the start image
again for `--end loop`). An extend continues a parent clip from its last frame, so its clips are
longer. What a job posts: the animated WebP preview grid (the clips at half size, side by side or
2x2), a JPEG per progress step, and one H.264 MP4 per clip, encoded when first asked for (a
virtual upscale) and kept. Frames stay small and few (`Speed.video_frames`, sides at most
`MAX_SIDE`): the sandbox must stay cheap at `instant` speed.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field

from PIL import Image

from app.sandbox import image_codec, images, video

MAX_SIDE = 256  # a clip's long side: real clips are 480p/720p, ours are for tests and demos
FPS = 8
MOTION_AMPLITUDE = {"low": 0.08, "high": 0.3}  # how far the camera moves over one clip


@dataclass(frozen=True, eq=False)
class VideoPlan:
    """Everything a video job's media depends on."""

    text: str  # drawn on the frames
    seed: int
    salt: str  # what makes this job's clips its own (prompt, parent clip, reroll)
    size: tuple[int, int]  # a clip's frame size (even sides, for H.264)
    start: Image.Image
    end: Image.Image | None  # crossfade target; the start image for a loop
    motion: str  # low | high
    batch: int  # 1, 2 or 4 clips
    frames: int  # frames of a new clip (an extend adds about two thirds of that)
    style: str = ""  # "niji": niji's colours
    parents: tuple[tuple[Image.Image, ...], ...] = ()  # extend: the clip(s) continued


@dataclass(eq=False)
class VideoMedia:
    """A video job's media: `image` is the poster grid (first frames), `previews` progress JPEGs."""

    image: Image.Image
    webp: bytes
    clips: list[tuple[Image.Image, ...]]
    previews: dict[int, bytes] = field(default_factory=dict)
    _mp4: dict[int, bytes] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        frames = sum(len(clip) for clip in self.clips)
        width, height = self.clips[0][0].size
        encoded = len(self.webp) + sum(map(len, self.previews.values()))
        return frames * width * height * 3 + encoded + sum(map(len, self._mp4.values()))

    def mp4(self, index: int) -> bytes:
        """Clip `index` (1-based, as U1..U4) as H.264 MP4, encoded once."""
        found = self._mp4.get(index)
        if found is None:
            found = self._mp4[index] = video.encode_mp4(list(self.clips[index - 1]), FPS)
        return found

    def duration(self, index: int) -> float:
        return len(self.clips[index - 1]) / FPS


def frame_size(aspect: tuple[int, int], long_side: int) -> tuple[int, int]:
    return images.tile_size(aspect, min(long_side, MAX_SIDE))


def prepare_video(plan: VideoPlan, percents: tuple[int, ...] = ()) -> VideoMedia:
    clips = [_clip(plan, index) for index in range(plan.batch)]
    sheets = [_sheet([clip[k] for clip in clips]) for k in range(len(clips[0]))]
    poster = sheets[0]
    buffer = io.BytesIO()
    poster.save(
        buffer, "WEBP", save_all=True, append_images=sheets[1:], duration=1000 // FPS, loop=0,
        quality=50, method=0,
    )  # fmt: skip
    previews = {p: image_codec.encode_jpeg(images.preview(poster, p)) for p in percents}
    return VideoMedia(poster, buffer.getvalue(), clips, previews)


def _clip(plan: VideoPlan, index: int) -> tuple[Image.Image, ...]:
    rng = random.Random(f"{plan.salt}/{plan.seed}/{index}")
    angle = rng.uniform(0, 2 * math.pi)
    amplitude = MOTION_AMPLITUDE.get(plan.motion, MOTION_AMPLITUDE["low"])
    if plan.parents:
        parent = plan.parents[index % len(plan.parents)]
        start, count, before = parent[-1], max(2, plan.frames * 2 // 3), parent
    else:
        start, count, before = plan.start, plan.frames, ()
    start = images.stylize(start.convert("RGB").resize(plan.size), plan.style)
    end = plan.end.convert("RGB").resize(plan.size) if plan.end is not None else None
    loop = plan.end is plan.start
    frames = []
    for k in range(count):
        t = k / max(1, count - 1)
        travel = math.sin(math.pi * t) if loop else t  # a loop comes back to its first frame
        frame = _camera(start, amplitude * travel, angle)
        if end is not None and not loop:
            frame = Image.blend(frame, end, t * t)
        frames.append(images.caption(frame, plan.text, f"#{index + 1}"))
    return (*before, *frames)


def _camera(image: Image.Image, amount: float, angle: float) -> Image.Image:
    """The image seen through a camera that zoomed in by `amount` and drifted along `angle`."""
    width, height = image.size
    zoom = 1.0 + amount
    crop_w, crop_h = width / zoom, height / zoom
    cx = width / 2 + math.cos(angle) * (width - crop_w) / 2
    cy = height / 2 + math.sin(angle) * (height - crop_h) / 2
    box = (cx - crop_w / 2, cy - crop_h / 2, cx + crop_w / 2, cy + crop_h / 2)
    return image.resize(image.size, Image.Resampling.BILINEAR, box=box)


def _sheet(frames: list[Image.Image]) -> Image.Image:
    """One preview frame: the clips at half size, side by side (1-2 clips) or 2x2 (4)."""
    width, height = frames[0].size
    half = [frame.resize((max(2, width // 2), max(2, height // 2))) for frame in frames]
    if len(half) == 4:
        return images.compose_grid(half)
    sheet = Image.new("RGB", (half[0].width * len(half), half[0].height))
    for index, frame in enumerate(half):
        sheet.paste(frame, (index * frame.width, 0))
    return sheet
