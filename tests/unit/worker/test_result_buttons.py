"""Every kind of result keeps the bot's buttons: from the recorded message, through the worker's
translation, into each dialect's task JSON and the dashboard (pure: parse -> translate -> render).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from app.dashboard.views import button_views
from app.dialects import discordxy, novicezk, webman
from app.discord.parse import parse_dispatch
from app.domain.task import Task
from app.worker.translate import change_for_event
from tests.fixtures import DISCORD_FIXTURES

NOW = 1_700_000_000_000


def _message(name: str) -> dict[str, Any]:
    frame = json.loads((DISCORD_FIXTURES / name).read_text(encoding="utf-8"))
    return {k: v for k, v in frame["d"].items() if not k.startswith("_comment")}


def _shorten_message() -> dict[str, Any]:
    """The describe message dressed as a shorten reply (spec §3.6: footer + PromptAnalyzer)."""
    d = copy.deepcopy(_message("mj-describe-done.message_update.json"))
    d["embeds"][0].pop("image")
    d["embeds"][0]["footer"] = {"text": "Click on a button to imagine one of the shortened prompts"}
    numbers = [
        {"type": 2, "style": 2, "custom_id": f"MJ::Job::PromptAnalyzer::{i}"} for i in range(1, 5)
    ]
    details = {
        "type": 2,
        "style": 2,
        "label": "Show Details",
        "custom_id": "MJ::Job::PromptAnalyzer::show_details",
    }
    d["components"] = [
        {"type": 1, "components": numbers},
        {"type": 1, "components": [details]},
    ]
    return d


KINDS = {
    "imagine": ("IMAGINE", lambda: _message("mj-imagine-done.message_create.json")),
    "upscale": ("UPSCALE", lambda: _message("mj-upscale-done.message_create.json")),
    "describe": ("DESCRIBE", lambda: _message("mj-describe-done.message_update.json")),
    "shorten": ("SHORTEN", _shorten_message),
}


def _pressable_ids(message: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if isinstance(c.get("custom_id"), str)
    ]


GRID, SOLO = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f", "7d4e1b2c-9a8f-4c3d-b2e1-0f9e8d7c6b5a"
# Spec A.6, by hand: each row up to a bookmark or "Imagine all"; link buttons and empty rows go.
WEBMAN_ROWS = {
    "imagine": [
        [*(f"MJ::JOB::upsample::{i}::{GRID}" for i in range(1, 5)),
         f"MJ::JOB::reroll::0::{GRID}::SOLO"],
        [f"MJ::JOB::variation::{i}::{GRID}" for i in range(1, 5)],
    ],
    "upscale": [
        [f"MJ::JOB::upsample_v6r1_2x_{kind}::1::{SOLO}::SOLO" for kind in ("subtle", "creative")],
        [f"MJ::JOB::low_variation::1::{SOLO}::SOLO", f"MJ::JOB::high_variation::1::{SOLO}::SOLO",
         f"MJ::Inpaint::1::{SOLO}::SOLO"],
        [f"MJ::Outpaint::50::1::{SOLO}::SOLO", f"MJ::Outpaint::75::1::{SOLO}::SOLO",
         f"MJ::CustomZoom::{SOLO}"],
        [f"MJ::JOB::pan_{side}::1::{SOLO}::SOLO" for side in ("left", "right", "up", "down")],
    ],
    "describe": [[f"MJ::Job::PicReader::{i}" for i in range(1, 5)], ["MJ::Picread::Retry"]],
    "shorten": [
        [f"MJ::Job::PromptAnalyzer::{i}" for i in range(1, 5)],
        ["MJ::Job::PromptAnalyzer::show_details"],
    ],
}  # fmt: skip


@pytest.mark.parametrize("kind", list(KINDS))
def test_result_buttons_reach_every_dialect_and_the_dashboard(kind: str) -> None:
    action, load = KINDS[kind]
    message = load()
    task = Task(id="1", dialect="novicezk", action=action, status="RUNNING", prompt="a fox")
    event = parse_dispatch("MESSAGE_CREATE", message)
    change = change_for_event(task, event, NOW)
    assert change is not None and change.status == "SUCCESS", (event, change)
    done = task.replace(**change.values)
    expected = _pressable_ids(message)
    assert expected, "the recorded message has buttons"

    assert [b["customId"] for b in novicezk.render_task(done)["buttons"]] == expected
    rows = [[c["custom_id"] for c in row] for row in webman.render_task(done)["buttons"]]
    assert rows == WEBMAN_ROWS[kind]
    assert "buttons" not in discordxy.render_task(done)  # Discordxy has none (spec §G)
    assert [b.custom_id for row in button_views(done) for b in row] == expected
