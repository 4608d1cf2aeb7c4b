"""What mjrelay reads from a result video with PyAV (pure media work, bytes in, values out):
its poster (the first frame, as a small WebP like an image's thumbnail) and its length in whole
seconds and frames (trueai's `videoDuration`, `frameCount`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
from PIL import Image

from app.storage.thumbs import THUMB_PX, shrink

POSTER_TYPE = "image/webp"


class NoVideo(ValueError):
    """The bytes hold no decodable video stream."""


@dataclass(frozen=True)
class VideoFacts:
    duration_s: int  # rounded to whole seconds, as trueai's `videoDuration` (int)
    frames: int


def poster(data: bytes, size: int = THUMB_PX) -> bytes:
    """The video's first frame as a WebP no larger than `size` on either side."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            for frame in container.decode(video=0):
                image: Image.Image = frame.to_image()
                break
            else:
                raise NoVideo("the video has no frame")
    except av.FFmpegError as exc:
        raise NoVideo(f"not a video: {type(exc).__name__}") from None
    out = io.BytesIO()
    image.save(out, format="PNG")
    return shrink(out.getvalue(), size)


def measure(data: bytes) -> VideoFacts:
    """The video's duration and frame count, from its container (its packets when the header
    does not count frames); nothing is decoded."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise NoVideo("no video stream")
            stream = container.streams.video[0]
            frames = stream.frames or sum(1 for p in container.demux(stream) if p.size)
            if stream.duration is not None and stream.time_base is not None:
                seconds = Fraction(stream.duration) * stream.time_base
            else:
                seconds = Fraction(container.duration or 0, av.time_base)
    except av.FFmpegError as exc:
        raise NoVideo(f"not a video: {type(exc).__name__}") from None
    return VideoFacts(duration_s=round(seconds), frames=int(frames))
