from __future__ import annotations

import base64

import pytest

from app.domain import buttons as btn
from app.domain.actions import Action
from app.domain.banned import BannedWords, parse_word_list
from app.domain.ids import new_task_id
from app.domain.images import ImageError, check_image, decode_data_url, sniff_image_type
from app.domain.status import TRANSITIONS, TaskStatus, can_transition, is_final
from app.domain.task import Task

H = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_transitions_final_statuses_never_move() -> None:
    for final in (TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCEL):
        assert is_final(final)
        assert not any(can_transition(final, s) for s in TaskStatus)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("PENDING", "STARTED", True),
        ("STARTED", "SUBMITTED", True),
        ("SUBMITTED", "RUNNING", True),
        ("RUNNING", "RUNNING", True),
        ("RUNNING", "SUCCESS", True),
        ("RUNNING", "PENDING", True),
        ("MODAL", "PENDING", True),
        ("RUNNING", "STARTED", False),
        ("RUNNING", "MODAL", False),
        ("PENDING", "SUCCESS", False),
    ],
)
def test_transitions_table(current: str, new: str, allowed: bool) -> None:
    assert can_transition(current, new) is allowed


def test_transitions_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(TaskStatus)


@pytest.mark.parametrize(
    ("dialect", "length"), [("novicezk", 16), ("webman", 19), ("discordxy", 19)]
)
def test_new_task_id_length_by_dialect(dialect: str, length: int) -> None:
    task_id = new_task_id(dialect, 1_713_497_101_123)
    assert len(task_id) == length and task_id.isdigit()
    assert task_id.startswith("1713497101123")
    assert int(new_task_id("novicezk", 1_713_497_101_123)) < 2**53  # exact as a JS number


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


@pytest.mark.parametrize(
    ("prompt", "found"),
    [
        ("a red bra on a chair", "bra"),
        ("A RED BRA", "BRA"),
        ("bra!", "bra"),
        ("a brave zebra", None),
        ("two nude_figures", None),
        ("making love in paris", "making love"),
        ("Making  love", None),
        ("", None),
    ],
)
def test_banned_words_match_whole_words_case_insensitively(prompt: str, found) -> None:
    assert BannedWords(["bra", "making love", " ", "nude"]).find(prompt) == found


def test_banned_word_list_file_format() -> None:
    assert parse_word_list("# comment\nnude\n\n  bra  \n") == ["nude", "bra"]
    assert not BannedWords([])


def test_images_sniff_and_decode() -> None:
    assert sniff_image_type(PNG) == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0xx") == "image/jpeg"
    assert sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"GIF89a...") == "image/gif"
    assert sniff_image_type(b"<html>") is None
    image = decode_data_url("data:image/png;base64," + base64.b64encode(PNG).decode())
    assert image.data == PNG and image.extension == "png"
    assert decode_data_url(base64.b64encode(PNG).decode()).content_type == "image/png"


@pytest.mark.parametrize(
    "text",
    ["", "data:image/png;base64,!!!", "data:image/png;base64," + base64.b64encode(b"hi").decode()],
)
def test_images_bad_data_urls(text: str) -> None:
    with pytest.raises(ImageError):
        decode_data_url(text)


def test_images_size_limit() -> None:
    with pytest.raises(ImageError, match="larger"):
        check_image(PNG + b"\0" * 2000, "x", max_bytes=1024)
    with pytest.raises(ImageError, match="larger"):
        decode_data_url(base64.b64encode(PNG + b"\0" * 4000).decode(), max_bytes=1024)


def test_task_from_row_fills_defaults() -> None:
    task = Task.from_row(
        {
            "id": "1",
            "dialect": "webman",
            "action": "IMAGINE",
            "params": None,
            "buttons": None,
            "progress": None,
            "created_at": "ignored",
        }
    )
    assert task.params == {} and task.buttons == [] and task.progress == 0
    assert task.replace(progress=5).progress == 5
    assert task.action_enum == Action.IMAGINE
    assert task.replace(action="WHAT").action_enum is None
