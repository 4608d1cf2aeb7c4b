"""Midjourney video shapes and media (pure): the prompt echo, refusals, WebP grid, MP4 clips."""

from __future__ import annotations

import io
import re

import av
import pytest
from PIL import Image, ImageChops

from app.sandbox import images
from app.sandbox.prompts import parse_prompt
from app.sandbox.video_media import FPS, VideoPlan, frame_size, prepare_video
from app.sandbox.video_shapes import echo, image_aspect, is_public_https, video_error
from tests.fixtures import discord_fixture

VIDEO = discord_fixture("mj-video.flow.json")


@pytest.mark.parametrize("case", VIDEO["echo_examples"], ids=lambda c: c["submitted"][-24:])
def test_the_echo_normalises_as_the_captures_show(case: dict) -> None:
    shown = echo(parse_prompt(case["submitted"]), tuple(case["aspect"]))
    assert re.match(case["echoed_regex"], shown), shown


@pytest.mark.parametrize(
    ("prompt", "error"),
    [
        ("a fox --video 1", "invalid_parameter"),  # no start image
        ("https://x.example/a.png a fox --video 1 --motion fast", "invalid_parameter"),
        ("https://x.example/a.png a fox --video 1 --bs 3", "invalid_parameter"),
        ("https://x.example/a.png a fox --video 1 --end http://x.example/b.png", "invalid_link"),
        ("https://x.example/a.png a fox --video 1 --end https://127.0.0.1/b.png", "invalid_link"),
        ("https://x.example/a.png a fox --video 1 --end https://10.1.2.3/b.png", "invalid_link"),
        ("https://x.example/a.png a fox --video 1 --end https://localhost/b.png", "invalid_link"),
        ("https://x.example/a.png a fox --video 1 --end not-a-link", "invalid_link"),
        ("https://x.example/a.png a fox --video 1 --end https://x.example/b.png --bs 2", None),
        ("https://x.example/a.png a fox --video 1 --end loop --motion high --bs 1", None),
    ],
)
def test_video_prompts_the_bot_refuses(prompt: str, error: str | None) -> None:
    problem = video_error(parse_prompt(prompt))
    assert (problem[0] if problem else None) == error


def test_the_sandboxs_own_links_count_as_public() -> None:
    own = "http://127.0.0.1:8790/attachments/1/2/end.png"
    prompt = parse_prompt(f"https://x.example/a.png a fox --video 1 --end {own}")
    assert video_error(prompt)[0] == "invalid_link"  # type: ignore[index]
    assert video_error(prompt, own_link=lambda url: url == own) is None
    assert is_public_https("https://cdn.discordapp.com/a.png")
    assert not is_public_https("https://[::1]/a.png")


def _plan(**changes: object) -> VideoPlan:
    start = images.render_scene("a fox", 0, "start", (96, 64))
    values: dict = dict(
        text="a fox", seed=0, salt="s", size=frame_size((3, 2), 96), start=start, end=None,
        motion="low", batch=4, frames=6,
    )  # fmt: skip
    values.update(changes)
    return VideoPlan(**values)


def _decode(mp4: bytes) -> tuple[str, int, tuple[int, int]]:
    assert mp4[4:8] == b"ftyp"
    with av.open(io.BytesIO(mp4)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return stream.codec_context.name, len(frames), (frames[0].width, frames[0].height)


def test_a_job_makes_an_animated_webp_grid_and_playable_h264_clips() -> None:
    media = prepare_video(_plan(), (15, 78))
    webp = Image.open(io.BytesIO(media.webp))
    assert webp.format == "WEBP" and webp.is_animated and webp.n_frames == 6
    assert webp.size == (96, 64)  # four half-size clips, 2x2
    assert set(media.previews) == {15, 78}
    codec, frames, size = _decode(media.mp4(3))
    assert (codec, frames, size) == ("h264", 6, (96, 64))
    assert media.duration(3) == 6 / FPS
    assert media.mp4(3) is media.mp4(3)  # encoded once
    assert len(media.clips) == 4 and media.clips[0][0].tobytes() != media.clips[1][-1].tobytes()


@pytest.mark.parametrize(("batch", "size"), [(1, (48, 32)), (2, (96, 32))])
def test_smaller_batches_sit_side_by_side(batch: int, size: tuple[int, int]) -> None:
    media = prepare_video(_plan(batch=batch))
    assert len(media.clips) == batch and Image.open(io.BytesIO(media.webp)).size == size


def test_media_is_deterministic_and_motion_and_end_frames_change_it() -> None:
    first, again = prepare_video(_plan()), prepare_video(_plan())
    assert first.webp == again.webp and first.mp4(1) == again.mp4(1)
    assert prepare_video(_plan(motion="high")).webp != first.webp
    end = Image.new("RGB", (96, 64), "white")
    last = prepare_video(_plan(end=end)).clips[0][-1]
    assert ImageChops.difference(last.convert("L"), Image.new("L", last.size, 255)).getbbox()
    assert sum(last.convert("L").histogram()[200:]) > last.width * last.height // 2  # ends white


def test_a_loop_ends_where_it_starts_and_an_extend_is_longer() -> None:
    start = images.render_scene("a fox", 0, "start", (96, 64))
    loop = prepare_video(_plan(start=start, end=start)).clips[0]
    assert ImageChops.difference(loop[0], loop[-1]).getbbox() is None
    parent = prepare_video(_plan()).clips[1]
    extended = prepare_video(_plan(parents=(parent,), motion="high"))
    assert all(len(clip) > len(parent) for clip in extended.clips)
    assert extended.clips[0][: len(parent)] == parent  # the parent clip, then more
    assert _decode(extended.mp4(1))[1] == len(extended.clips[0])


@pytest.mark.parametrize(
    ("size", "aspect"),
    [((160, 108), (3, 2)), ((108, 160), (2, 3)), ((80, 80), (1, 1)), ((1920, 1080), (16, 9)),
     ((1000, 617), (1000, 617)), ((192, 128), (3, 2))],
)  # fmt: skip
def test_a_start_images_aspect_is_its_simplest_ratio(size: tuple, aspect: tuple) -> None:
    assert image_aspect(*size) == aspect
