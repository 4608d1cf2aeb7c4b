"""trueai's `/mj/submit/video` body (novicezk_video_requests.py, domain/video.py)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from app.dialects.novicezk_video_requests import parse_video
from app.domain.actions import Action
from app.domain.buttons import classify
from app.domain.commands import CreateTask, PressButton
from app.domain.errors import CommandError
from app.domain.images import InputImage
from app.domain.limits import InputLimits
from app.domain.video import END_FRAME, end_link_problem, with_frame_links, without_turbo

IMAGE = "https://images.example.com/start.png"


def test_a_new_video_becomes_an_imagine_video_prompt_with_its_image() -> None:
    cmd = parse_video({"prompt": "a kite", "image": IMAGE, "motion": "HIGH", "batchSize": 2})
    assert isinstance(cmd, CreateTask) and cmd.action == Action.ANIMATE
    assert cmd.prompt == "a kite --video 1 --motion high --bs 2"
    assert cmd.images == [IMAGE]


@pytest.mark.parametrize(
    ("extra", "tail"),
    [
        ({}, "--video 1 --motion low"),
        ({"loop": True}, "--video 1 --motion low --end loop"),
        (
            {"endImage": "https://x.example.org/e.png"},
            "--motion low --end https://x.example.org/e.png",
        ),
        ({"batchSize": 4}, "--video 1 --motion low"),
    ],
)
def test_loop_end_and_batch(extra: dict[str, Any], tail: str) -> None:
    cmd = parse_video({"prompt": "p", "image": IMAGE, **extra})
    assert isinstance(cmd, CreateTask) and cmd.prompt.endswith(tail)


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "p"},  # no start image
        {"prompt": "", "image": IMAGE},
        {"prompt": "p", "image": IMAGE, "motion": "medium"},
        {"prompt": "p", "image": IMAGE, "batchSize": 3},
        {"prompt": "p", "image": IMAGE, "batchSize": True},
        {"prompt": "p", "image": IMAGE, "loop": "yes"},
        {"prompt": "p", "image": IMAGE, "loop": True, "endImage": "https://a.example.com/e.png"},
        {"prompt": "p", "image": IMAGE, "endImage": "http://a.example.com/e.png"},
        {"prompt": "p", "image": IMAGE, "endImage": "data:image/png;base64,AAAA"},  # no image
        {"prompt": "p", "image": IMAGE, "endImage": 7},
        {"prompt": "p", "image": IMAGE, "loop": True, "endImage": "data:image/png;base64,AAAA"},
        {"prompt": "p --turbo", "image": IMAGE},
        {"action": "shrink", "taskId": "1", "index": 0},
        {"action": "extend", "taskId": "1", "index": 4},
        {"action": "extend", "index": 0},
        [],
    ],
)
def test_bad_bodies_are_refused(body: Any) -> None:
    with pytest.raises(CommandError):
        parse_video(body)


def _png_data_url(color: tuple[int, int, int] = (200, 10, 10), side: int = 8) -> str:
    out = io.BytesIO()
    Image.new("RGB", (side, side), color).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_a_data_url_end_image_is_the_second_input_image_linked_by_the_worker() -> None:
    cmd = parse_video({"prompt": "a door", "image": IMAGE, "endImage": _png_data_url()})
    assert isinstance(cmd, CreateTask)
    assert cmd.prompt == "a door --video 1 --motion low"  # no --end yet: the worker links it
    assert cmd.images[0] == IMAGE and isinstance(cmd.images[1], InputImage)
    assert cmd.images[1].content_type == "image/png" and cmd.params[END_FRAME] is True
    url_end = parse_video({"prompt": "a", "image": IMAGE, "endImage": "https://a.example.com/e"})
    assert isinstance(url_end, CreateTask) and END_FRAME not in url_end.params


def test_an_end_image_larger_than_the_image_limit_is_refused() -> None:
    big = _png_data_url(side=64)
    with pytest.raises(CommandError):
        parse_video({"prompt": "p", "image": IMAGE, "endImage": big}, InputLimits(image_bytes=64))


def test_frame_links_put_the_start_first_and_the_uploaded_end_frame_as_end() -> None:
    prompt = "a door --video 1 --motion low --fast"
    assert with_frame_links(prompt, ["https://c/s.png", "https://c/e.png"], True) == (
        "https://c/s.png a door --video 1 --motion low --fast --end https://c/e.png"
    )
    assert with_frame_links(prompt, ["https://c/s.png"], False) == f"https://c/s.png {prompt}"
    # One link (the end frame's upload lost) never makes the start image the end frame.
    assert with_frame_links(prompt, ["https://c/s.png"], True) == f"https://c/s.png {prompt}"


def test_extend_presses_the_clips_extend_button() -> None:
    cmd = parse_video(
        {"action": "extend", "taskId": "42", "index": 0, "motion": "high", "prompt": "more"}
    )
    assert isinstance(cmd, PressButton)
    assert (cmd.parent_id, cmd.action, cmd.index, cmd.variant, cmd.prompt) == (
        "42",
        Action.ANIMATE,
        1,
        "high",
        "more",
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://images.example.com/e.png", True),
        ("https://8.8.8.8/e.png", True),
        ("http://images.example.com/e.png", False),
        ("https://127.0.0.1/e.png", False),
        ("https://10.1.2.3/e.png", False),
        ("https://localhost/e.png", False),
        ("https://intranet/e.png", False),
        ("https://[::1]/e.png", False),
        ("ftp://images.example.com/e.png", False),
    ],
)
def test_end_links(url: str, ok: bool) -> None:
    assert (end_link_problem(url) is None) is ok


def test_video_buttons_are_classified() -> None:
    h = "d5c1eed3-de3e-4524-a584-0e0031335b45"
    clip = classify(f"MJ::JOB::video_virtual_upscale::3::{h}")
    assert clip is not None and (clip.action, clip.index) == (Action.UPSCALE, 3)
    extend = classify(f"MJ::JOB::animate_high_extend::2::{h}")
    assert extend is not None
    assert (extend.action, extend.index, extend.variant) == (Action.ANIMATE, 2, "high")
    animate = classify(f"MJ::JOB::animate_low::1::{h}::SOLO")
    assert animate is not None and (animate.action, animate.variant) == (Action.ANIMATE, "low")


@pytest.mark.parametrize(
    ("where", "modes"),
    [
        ({"request_mode": None, "filter_modes": None}, ["fast", "relax"]),
        ({"request_mode": None, "filter_modes": ["turbo", "relax"]}, ["relax"]),
        ({"request_mode": None, "filter_modes": ["turbo"]}, ["fast", "relax"]),
    ],
)
def test_a_video_asking_no_mode_never_runs_in_turbo(
    where: dict[str, Any], modes: list[str]
) -> None:
    assert without_turbo(Action.ANIMATE, where)["filter_modes"] == modes
    assert without_turbo(Action.IMAGINE, where) == where
    asked = {"request_mode": "relax", "filter_modes": None}
    assert without_turbo(Action.ANIMATE, asked) == asked
