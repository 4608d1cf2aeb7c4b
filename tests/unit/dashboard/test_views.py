"""What the dashboard shows of a task (pure)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.dashboard.views import absolute, button_views, file_path, shown_image, task_state
from app.domain.task import Task
from app.storage.thumbs import shrink
from tests.integration.api.conftest import grid_buttons, upscale_buttons


def _task(**fields) -> Task:
    values = {"id": "1", "dialect": "novicezk", "action": "IMAGINE", "status": "SUCCESS"}
    values.update(fields)
    return Task(**values)


def test_grid_buttons_keep_their_labels_and_name_the_emoji_ones() -> None:
    rows = button_views(_task(buttons=grid_buttons()))
    assert [[b.label for b in row] for row in rows] == [
        ["U1", "U2", "U3", "U4", "Reroll"],
        ["V1", "V2", "V3", "V4"],
    ]
    assert all(b.pressable and not b.needs_prompt for row in rows for b in row)
    assert rows[0][1].action == "UPSCALE"


def test_upscale_buttons_what_can_be_pressed_from_the_dashboard() -> None:
    views = {b.custom_id.split("::")[1]: b for row in button_views(
        _task(buttons=upscale_buttons())) for b in row}  # fmt: skip
    assert views["Inpaint"].pressable is False  # Vary (Region) needs a mask
    assert views["CustomZoom"].needs_prompt and views["CustomZoom"].pressable
    assert views["BOOKMARK"].label == "Bookmark" and views["BOOKMARK"].pressable is False
    pan = next(b for row in button_views(_task(buttons=upscale_buttons())) for b in row
               if b.action == "PAN_LEFT")  # fmt: skip
    assert pan.label == "← Pan left"


def test_buttons_of_an_unfinished_task_cannot_be_pressed() -> None:
    rows = button_views(_task(status="RUNNING", buttons=grid_buttons()))
    assert not any(b.pressable for row in rows for b in row)


def test_link_buttons_are_left_out() -> None:
    link = {"type": 1, "components": [{"type": 2, "style": 5, "label": "Web", "url": "https://x"}]}
    assert button_views(_task(buttons=[link])) == []


def test_result_paths_are_durable_when_the_task_has_a_file_token() -> None:
    raw = "https://cdn.discordapp.com/attachments/1/2/a.png?ex=1"
    with_token = _task(image_url=raw, properties={"_file_token": "t0k"})
    assert file_path(with_token, "image") == "/files/1/t0k/image.png"
    assert file_path(_task(image_url=raw), "image") == raw
    assert file_path(with_token, "video") is None
    running = _task(status="RUNNING", preview_url="https://cdn/p.webp")
    assert shown_image(running) == "https://cdn/p.webp"


def test_task_state_is_json_ready_and_absolute() -> None:
    task = _task(
        image_url="https://cdn/x.png",
        properties={"_file_token": "t", "_origin": "http://a"},
        progress=0,
        event_seq=4,
    )
    state = task_state(task)
    assert (state["progress"], state["seq"], state["final"]) == (100, 4, True)
    assert absolute(state, "https://relay.example")["image_url"] == (
        "https://relay.example/files/1/t/image.png"
    )
    assert "properties" not in state and "_file_token" not in str(state)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L"])
def test_shrink_makes_a_small_webp(mode: str) -> None:
    source = io.BytesIO()
    Image.new(mode, (900, 1200)).save(source, format="PNG")
    with Image.open(io.BytesIO(shrink(source.getvalue()))) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.size == (288, 384)
