"""Midjourney buttons (app/domain/buttons.py): custom ids classified and built, rows read."""

from __future__ import annotations

import pytest

from app.domain import buttons as btn
from app.domain.actions import Action

H = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"


@pytest.mark.parametrize(
    ("custom_id", "action", "index", "variant"),
    [
        (f"MJ::JOB::upsample::1::{H}", Action.UPSCALE, 1, None),
        (f"MJ::JOB::variation::4::{H}", Action.VARIATION, 4, None),
        (f"MJ::JOB::reroll::0::{H}::SOLO", Action.REROLL, 0, None),
        (f"MJ::JOB::low_variation::1::{H}::SOLO", Action.VARIATION_SUBTLE, 1, None),
        (f"MJ::JOB::high_variation::1::{H}::SOLO", Action.VARIATION_STRONG, 1, None),
        (
            f"MJ::JOB::upsample_v6r1_2x_subtle::1::{H}::SOLO",
            Action.UPSCALE_SUBTLE,
            1,
            "v6r1_2x_subtle",
        ),
        (
            f"MJ::JOB::upsample_v7_2x_creative::1::{H}::SOLO",
            Action.UPSCALE_CREATIVE,
            1,
            "v7_2x_creative",
        ),
        (f"MJ::JOB::upsample_v5_2x::1::{H}::SOLO", Action.UPSCALE_2X, 1, "v5_2x"),
        (f"MJ::JOB::upsample_v5_4x::1::{H}::SOLO", Action.UPSCALE_4X, 1, "v5_4x"),
        (f"MJ::JOB::pan_left::1::{H}::SOLO", Action.PAN_LEFT, 1, None),
        (f"MJ::JOB::pan_down::1::{H}::SOLO", Action.PAN_DOWN, 1, None),
        (f"MJ::JOB::animate_high::1::{H}::SOLO", Action.ANIMATE, 1, "high"),
        (f"MJ::Outpaint::50::1::{H}::SOLO", Action.ZOOM_OUT, None, "50"),
        (f"MJ::Outpaint::75::1::{H}::SOLO", Action.ZOOM_OUT, None, "75"),
        (f"MJ::Outpaint::100::1::{H}::SOLO", Action.MAKE_SQUARE, None, "100"),
        (f"MJ::CustomZoom::{H}", Action.ZOOM_CUSTOM, None, None),
        (f"MJ::Inpaint::1::{H}::SOLO", Action.VARIATION_REGION, None, None),
        (f"MJ::CancelJob::ByJobid::{H}", Action.CANCEL_JOB, None, None),
        ("MJ::Job::PicReader::2", Action.PIC_READER, 2, None),
        ("MJ::Job::PicReader::all", Action.PIC_READER_ALL, None, None),
        ("MJ::Picread::Retry", Action.PIC_READ_RETRY, None, None),
        ("MJ::Job::PromptAnalyzer::3", Action.PROMPT_ANALYZER, 3, None),
    ],
)
def test_classify_custom_id(custom_id: str, action: Action, index, variant) -> None:
    ref = btn.classify(custom_id)
    assert ref is not None
    assert (ref.action, ref.index, ref.variant) == (action, index, variant)


@pytest.mark.parametrize(
    "custom_id",
    [f"MJ::BOOKMARK::{H}", "MJ::Settings::x", "nonsense", "MJ::JOB::upsample::9::x", "", "MJ::"],
)
def test_classify_unknown_custom_id(custom_id: str) -> None:
    assert btn.classify(custom_id) is None


def test_buttons_accept_rows_lists_and_flat() -> None:
    a = {"type": 2, "custom_id": f"MJ::JOB::upsample::1::{H}"}
    b = {"type": 2, "custom_id": f"MJ::JOB::variation::2::{H}"}
    link = {"type": 2, "style": 5, "url": "https://midjourney.com"}
    for shape in (
        [{"type": 1, "components": [a, link]}, {"type": 1, "components": [b]}],
        [[a, link], [b]],
        [a, link, b],
    ):
        assert btn.custom_ids(shape) == [a["custom_id"], b["custom_id"]]
        assert btn.find_action(shape, Action.VARIATION, 2).custom_id == b["custom_id"]
        assert btn.find_action(shape, Action.VARIATION, 3) is None
        assert btn.find_custom_id(shape, a["custom_id"]).action == Action.UPSCALE
    assert btn.custom_ids(None) == [] and btn.button_rows("x") == []


def test_grid_custom_id() -> None:
    assert btn.grid_custom_id(Action.UPSCALE, 2, H) == f"MJ::JOB::upsample::2::{H}"
    assert btn.grid_custom_id(Action.REROLL, 0, H) == f"MJ::JOB::reroll::0::{H}::SOLO"
    with pytest.raises(ValueError):
        btn.grid_custom_id(Action.PAN_LEFT, 1, H)
