"""Short H.264 MP4 clips from Pillow frames (PyAV), for the Pika bot and Midjourney video. Pure."""

from __future__ import annotations

import io
import math

import av
from PIL import Image

from app.sandbox import images

DEFAULT_SIZE = (320, 192)


def render_frames(
    prompt: str, seed: int, frames: int, size: tuple[int, int], source: Image.Image | None
) -> list[Image.Image]:
    """A slow zoom-and-drift over a deterministic scene, the prompt drawn on every frame."""
    width, height = size
    scene = images.render_scene(prompt, seed, "pika", (width * 2, height * 2), source, 0.7)
    clips = []
    for index in range(frames):
        t = index / max(1, frames - 1)
        zoom = 1.0 + 0.25 * t
        crop_w, crop_h = scene.width / (2 * zoom) * 1.6, scene.height / (2 * zoom) * 1.6
        cx = scene.width / 2 + math.sin(t * math.pi) * scene.width * 0.1
        cy = scene.height / 2
        box = (cx - crop_w / 2, cy - crop_h / 2, cx + crop_w / 2, cy + crop_h / 2)
        frame = scene.resize(size, Image.Resampling.BILINEAR, box=box)
        clips.append(images.caption(frame, prompt, f"pika {index + 1}/{frames}"))
    return clips


def encode_mp4(frames: list[Image.Image], fps: int = 8) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames[0].size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        for image in frames:
            frame = av.VideoFrame.from_image(image.convert("RGB"))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def render_video(
    prompt: str,
    seed: int,
    source: Image.Image | None = None,
    frames: int = 16,
    size: tuple[int, int] = DEFAULT_SIZE,
) -> bytes:
    return encode_mp4(render_frames(prompt, seed, frames, size, source))
