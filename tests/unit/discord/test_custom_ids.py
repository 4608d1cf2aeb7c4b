"""Custom ids: every button in the fixtures is classified; builders agree with what the bot sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.discord.custom_ids import ButtonAction, build_custom_id, find_button, parse_custom_id
from app.discord.events import JobFinished
from app.discord.parse import parse_dispatch

H = "7d4e1b2c-9a8f-4c3d-b2e1-0f9e8d7c6b5a"

CASES = [
    pytest.param(f"MJ::JOB::upsample::2::{H}", ButtonAction.UPSCALE, 2, H, id="U2"),
    pytest.param(f"MJ::JOB::variation::4::{H}", ButtonAction.VARIATION, 4, H, id="V4"),
    pytest.param(f"MJ::JOB::reroll::0::{H}::SOLO", ButtonAction.REROLL, 0, H, id="reroll"),
    pytest.param(
        f"MJ::JOB::upsample_v6r1_2x_subtle::1::{H}::SOLO",
        ButtonAction.UPSCALE_SUBTLE,
        1,
        H,
        id="upscale-subtle",
    ),
    pytest.param(
        f"MJ::JOB::upsample_v7_2x_creative::1::{H}::SOLO",
        ButtonAction.UPSCALE_CREATIVE,
        1,
        H,
        id="upscale-creative",
    ),
    pytest.param(f"MJ::JOB::upsample_v5_4x::1::{H}::SOLO", ButtonAction.UPSCALE_4X, 1, H, id="4x"),
    pytest.param(f"MJ::JOB::low_variation::1::{H}::SOLO", ButtonAction.VARY_SUBTLE, 1, H, id="vs"),
    pytest.param(f"MJ::JOB::high_variation::1::{H}::SOLO", ButtonAction.VARY_STRONG, 1, H, id="vS"),
    pytest.param(f"MJ::Inpaint::1::{H}::SOLO", ButtonAction.VARY_REGION, None, H, id="region"),
    pytest.param(f"MJ::Outpaint::50::1::{H}::SOLO", ButtonAction.ZOOM_OUT_2X, None, H, id="z2"),
    pytest.param(f"MJ::Outpaint::75::1::{H}::SOLO", ButtonAction.ZOOM_OUT_1_5X, None, H, id="z15"),
    pytest.param(f"MJ::Outpaint::100::1::{H}::SOLO", ButtonAction.MAKE_SQUARE, None, H, id="sq"),
    pytest.param(f"MJ::CustomZoom::{H}", ButtonAction.CUSTOM_ZOOM, None, H, id="custom-zoom"),
    pytest.param(f"MJ::CustomZoom::1::{H}", ButtonAction.CUSTOM_ZOOM, None, H, id="custom-zoom-1"),
    pytest.param(f"MJ::JOB::pan_left::1::{H}::SOLO", ButtonAction.PAN_LEFT, 1, H, id="pan-left"),
    pytest.param(f"MJ::JOB::pan_down::1::{H}::SOLO", ButtonAction.PAN_DOWN, 1, H, id="pan-down"),
    pytest.param(f"MJ::JOB::animate_high::1::{H}::SOLO", ButtonAction.ANIMATE_HIGH, 1, H, id="ah"),
    pytest.param(f"MJ::BOOKMARK::{H}", ButtonAction.BOOKMARK, None, H, id="bookmark"),
    pytest.param(f"MJ::CancelJob::ByJobid::{H}", ButtonAction.CANCEL_JOB, None, H, id="cancel"),
    pytest.param("MJ::Job::PicReader::3", ButtonAction.PICREADER, 3, None, id="picreader"),
    pytest.param("MJ::Job::PicReader::all", ButtonAction.PICREADER_ALL, None, None, id="all"),
    pytest.param("MJ::Picread::Retry", ButtonAction.PICREAD_RETRY, None, None, id="pic-retry"),
    pytest.param("MJ::Job::PromptAnalyzer::2", ButtonAction.PROMPT_ANALYZER, 2, None, id="pa"),
    pytest.param("MJ::Prompts::Appeal::tok", ButtonAction.APPEAL, None, None, id="appeal"),
    pytest.param("MJ::iframe::tok", ButtonAction.IFRAME, None, None, id="iframe"),
    pytest.param("MJ::Settings::VersionSelector", ButtonAction.OTHER, None, None, id="settings"),
    pytest.param("pika::retry", ButtonAction.OTHER, None, None, id="foreign"),
    pytest.param("MJ::JOB::upsample::x", ButtonAction.OTHER, None, None, id="truncated"),
    pytest.param("", ButtonAction.OTHER, None, None, id="empty"),
]


@pytest.mark.parametrize(("raw", "action", "index", "job_hash"), CASES)
def test_parse_custom_id(
    raw: str, action: ButtonAction, index: int | None, job_hash: str | None
) -> None:
    parsed = parse_custom_id(raw)
    assert (parsed.action, parsed.index, parsed.job_hash) == (action, index, job_hash)


BUILD = [
    pytest.param(ButtonAction.UPSCALE, 2, f"MJ::JOB::upsample::2::{H}", id="U2"),
    pytest.param(ButtonAction.VARIATION, 1, f"MJ::JOB::variation::1::{H}", id="V1"),
    pytest.param(ButtonAction.REROLL, None, f"MJ::JOB::reroll::0::{H}::SOLO", id="reroll"),
    pytest.param(
        ButtonAction.UPSCALE_SUBTLE, None, f"MJ::JOB::upsample_v6r1_2x_subtle::1::{H}::SOLO", id="s"
    ),
    pytest.param(
        ButtonAction.UPSCALE_CREATIVE,
        None,
        f"MJ::JOB::upsample_v6r1_2x_creative::1::{H}::SOLO",
        id="c",
    ),
    pytest.param(ButtonAction.VARY_STRONG, None, f"MJ::JOB::high_variation::1::{H}::SOLO", id="v"),
    pytest.param(ButtonAction.VARY_REGION, None, f"MJ::Inpaint::1::{H}::SOLO", id="region"),
    pytest.param(ButtonAction.ZOOM_OUT_1_5X, None, f"MJ::Outpaint::75::1::{H}::SOLO", id="z"),
    pytest.param(ButtonAction.MAKE_SQUARE, None, f"MJ::Outpaint::100::1::{H}::SOLO", id="sq"),
    pytest.param(ButtonAction.CUSTOM_ZOOM, None, f"MJ::CustomZoom::{H}", id="cz"),
    pytest.param(ButtonAction.PAN_UP, None, f"MJ::JOB::pan_up::1::{H}::SOLO", id="pan"),
    pytest.param(ButtonAction.CANCEL_JOB, None, f"MJ::CancelJob::ByJobid::{H}", id="cancel"),
]


@pytest.mark.parametrize(("action", "index", "expected"), BUILD)
def test_build_custom_id_round_trips(
    action: ButtonAction, index: int | None, expected: str
) -> None:
    built = build_custom_id(action, H, index)
    assert built == expected
    assert parse_custom_id(built).action is action


def test_build_custom_id_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        build_custom_id(ButtonAction.UPSCALE, H, 5)
    with pytest.raises(ValueError):
        build_custom_id(ButtonAction.PICREADER, H)


@pytest.mark.parametrize(
    "name", ["mj-imagine-done.message_create.json", "mj-upscale-done.message_create.json"]
)
def test_every_fixture_button_is_understood_and_rebuildable(
    spec_fixture: Callable[..., Any], name: str
) -> None:
    frame = spec_fixture(name)
    event = parse_dispatch(frame["t"], frame["d"])
    assert isinstance(event, JobFinished) and event.job_hash
    for button in event.buttons:
        if button.custom_id is None:
            continue
        parsed = parse_custom_id(button.custom_id)
        assert parsed.action is not ButtonAction.OTHER, button.custom_id
        assert parsed.job_hash == event.job_hash
        assert build_custom_id(parsed.action, event.job_hash, parsed.index) == button.custom_id


def test_find_button(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("mj-imagine-done.message_create.json")
    event = parse_dispatch(frame["t"], frame["d"])
    assert isinstance(event, JobFinished)
    u3 = find_button(event.buttons, ButtonAction.UPSCALE, 3)
    assert u3 is not None and u3.label == "U3"
    assert find_button(event.buttons, ButtonAction.REROLL) is not None
    assert find_button(event.buttons, ButtonAction.VARY_REGION) is None
