"""A result video's poster and length (app/storage/video_frames.py), on MP4s made with PyAV."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.sandbox.video import encode_mp4
from app.storage.video_frames import NoVideo, measure, poster


def _clip(frames: int, fps: int = 8) -> bytes:
    colors = [(220, 30, 30)] + [(30, 30, 220)] * (frames - 1)  # red first, then blue
    return encode_mp4([Image.new("RGB", (64, 48), c) for c in colors], fps)


@pytest.mark.parametrize(("frames", "fps", "seconds"), [(40, 8, 5), (12, 8, 2), (24, 24, 1)])
def test_measure_counts_frames_and_whole_seconds(frames: int, fps: int, seconds: int) -> None:
    facts = measure(_clip(frames, fps))
    assert (facts.frames, facts.duration_s) == (frames, seconds)


def test_the_poster_is_the_first_frame_as_a_small_webp() -> None:
    data = poster(_clip(6), size=32)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) <= 32
        r, _g, b = image.convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert r > 150 and b < 90  # red: the first frame, not the blue ones after it


@pytest.mark.parametrize("data", [b"", b"not a video at all", b"\x00\x00\x00\x18ftypisom"])
def test_bytes_without_a_video_are_refused(data: bytes) -> None:
    with pytest.raises(NoVideo):
        measure(data)
    with pytest.raises(NoVideo):
        poster(data)
