"""Reading the account's state from /info, /settings, /fast… replies (app/discord/account_info.py)
against the spec fixtures, and the remix/variation final labels."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from app.discord import account_info
from app.discord.content import parse_content, variation_of
from app.discord.custom_ids import is_remix_modal
from app.discord.events import AccountError, AccountStateRead, ModalOpened, Unknown
from app.discord.parse import parse_dispatch

Fixture = Callable[..., Any]


def test_info_fixture_parses_every_line(spec_fixture: Fixture) -> None:
    message = spec_fixture("mj-info.message_update.json")
    event = parse_dispatch("MESSAGE_UPDATE", message["d"])
    assert isinstance(event, AccountStateRead) and event.source == "info"
    reading = event.reading
    assert set(message["required_keys"]) <= set(reading.info or {})
    assert reading.job_mode == "fast"
    assert reading.fast_time_remaining == "29.57/30.0 hours (98.58%)"
    assert reading.fast_minutes_left == pytest.approx(29.57 * 60)
    assert reading.subscription == "Pro (Active yearly, renews next on <t:1715321361>)"
    assert (reading.queued_jobs, reading.running_jobs) == (0, 0)
    assert reading.remix is None  # /info does not say


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("0.00/15.0 hours (0.00%)", 0.0),
        ("25.00 minutes", 25.0),
        ("1.5 hours", 90.0),
        ("unlimited", None),
        (None, None),
    ],
)
def test_fast_time_in_minutes(text: str | None, minutes: float | None) -> None:
    assert account_info.fast_minutes(text) == minutes


def test_info_variants() -> None:
    trial = account_info.parse_info(
        "**Subscription**:   None (Trial)\n**Fast Time Remaining**:  25.00 minutes\n"
        "**Job Mode**: Relaxed\n**Queued Jobs (fast)**: 1\n**Queued Jobs (relax)**: 2\n"
        "**Running Jobs**: 0a1b, 2c3d\nnot a line"
    )
    assert (trial.subscription, trial.fast_minutes_left, trial.job_mode) == (
        "None (Trial)",
        25.0,
        "relax",
    )
    assert (trial.queued_jobs, trial.running_jobs) == (3, 2)
    empty = account_info.parse_info("")
    assert empty.job_mode is None and empty.queued_jobs is None and empty.info == {}


def test_settings_fixture_panel(spec_fixture: Fixture) -> None:
    message = spec_fixture("mj-settings.message_update.json")
    event = parse_dispatch("MESSAGE_UPDATE", message["d"])
    assert isinstance(event, AccountStateRead) and event.source == "settings"
    reading = event.reading
    assert (reading.job_mode, reading.remix) == ("fast", False)
    assert reading.settings is not None
    assert reading.settings["version"] == "Use the default model (V7)"
    assert reading.settings["Stylize med"] is True and reading.settings["RAW Mode"] is False


def test_settings_panel_after_remix_and_relax_pressed(spec_fixture: Fixture) -> None:
    data = copy.deepcopy(spec_fixture("mj-settings.message_update.json", "d"))
    for row in data["components"]:
        for control in row["components"]:
            custom_id = control.get("custom_id")
            if custom_id in ("MJ::Settings::RemixMode", "MJ::Settings::RelaxMode"):
                control["style"] = 3
            elif custom_id in ("MJ::Settings::FastMode",):
                control["style"] = 2
    event = parse_dispatch("MESSAGE_UPDATE", data)
    assert isinstance(event, AccountStateRead)
    assert (event.reading.job_mode, event.reading.remix) == ("relax", True)


def test_a_partial_update_from_an_unknown_author_is_not_trusted(spec_fixture: Fixture) -> None:
    data = copy.deepcopy(spec_fixture("mj-info.message_update.json", "d"))
    del data["author"]
    assert isinstance(parse_dispatch("MESSAGE_UPDATE", data), Unknown)
    data = copy.deepcopy(spec_fixture("mj-info.message_update.json", "d"))
    data["author"]["id"] = "42"
    assert isinstance(parse_dispatch("MESSAGE_UPDATE", data), Unknown)


def _reply(spec_fixture: Fixture, name: str, content: str) -> dict[str, Any]:
    data = copy.deepcopy(spec_fixture("mj-info.message_update.json", "d"))
    data.update(content=content, embeds=[])
    data["interaction"]["name"] = data["interaction_metadata"]["name"] = name
    return data


def test_mode_and_remix_replies(spec_fixture: Fixture) -> None:
    relax = _reply(spec_fixture, "relax", "Done! Your jobs now do not consume fast-hours")
    event = parse_dispatch("MESSAGE_CREATE", relax)
    assert isinstance(event, AccountStateRead) and event.reading.job_mode == "relax"
    remix = _reply(spec_fixture, "prefer remix", "Remix mode turned on! Clicking …")
    event = parse_dispatch("MESSAGE_CREATE", remix)
    assert isinstance(event, AccountStateRead) and event.reading.remix is True
    assert account_info.remix_toggled("prefer remix", "Remix mode turned off!") is False
    assert account_info.mode_switched("fast", "You have no fast time") is None
    # A refused /fast is the "Credits exhausted" account error, named by the command.
    refused = _reply(spec_fixture, "fast", "")
    refused["embeds"] = [{"title": "Credits exhausted", "description": "…", "color": 16711680}]
    event = parse_dispatch("MESSAGE_CREATE", refused)
    assert isinstance(event, AccountError) and event.meta.interaction_name == "fast"


def test_remix_modal_and_final_labels(spec_fixture: Fixture) -> None:
    flow = spec_fixture("interaction-remix-modal.flow.json")
    modal = parse_dispatch("INTERACTION_MODAL_CREATE", flow["step2_modal_create_dispatch"]["d"])
    assert isinstance(modal, ModalOpened) and is_remix_modal(modal.custom_id)
    assert modal.fields[0].custom_id == "MJ::RemixModal::new_prompt"
    for case in flow["cases"].values():
        assert is_remix_modal(case["modal_custom_id"]) == (
            not case["modal_custom_id"].startswith("MJ::OutpaintCustomZoomModal")
        )
    assert not is_remix_modal("MJ::OutpaintCustomZoomModal::abc")
    remix = parse_content("**a cat --v 7** - Remix (Strong) by <@1> (fast)")
    assert variation_of(remix.action_label) == (True, "strong") and remix.mode == "fast"
    plain = parse_content("**a cat** - Variations (Subtle) by <@1> (relaxed)")
    assert variation_of(plain.action_label) == (False, "subtle") and plain.mode == "relaxed"
    assert variation_of("Image #1") is None
