"""The account's settings panel, /info text, suffixes and fast-time accounting (pure)."""

from __future__ import annotations

import json
import re

import pytest

from app.sandbox.accounts import AccountState, make_accounts
from app.sandbox.faults import FaultError, flag_to_fault
from app.sandbox.mj_panel import apply_setting, info_description, settings_components
from app.sandbox.mj_profile import Profile, Usage
from app.sandbox.slots import Slots
from tests.fixtures import DISCORD_FIXTURES


def _state() -> AccountState:
    return AccountState(make_accounts(1, 0)[0], Slots(3, 10))


def _buttons(state: AccountState) -> dict[str, dict]:
    return {
        item["custom_id"]: item
        for row in settings_components(state)
        for item in row["components"]
        if item["type"] == 2
    }


def _fixture(name: str) -> dict:
    return json.loads((DISCORD_FIXTURES / name).read_text())


def test_the_panel_has_the_spec_ids_labels_and_default_styles() -> None:
    panel = _fixture("mj-settings.message_update.json")["d"]["components"]
    expected = {
        item["custom_id"]: (item["label"], item["style"])
        for row in panel
        for item in row["components"]
        if item["type"] == 2
    }
    actual = {cid: (b["label"], b["style"]) for cid, b in _buttons(_state()).items()}
    assert actual == expected


def test_the_version_select_is_in_the_row_numbered_1_and_ids_are_unique() -> None:
    rows = settings_components(_state())
    assert rows[0]["id"] == 1 and rows[0]["components"][0]["type"] == 3
    ids = [i for row in rows for i in [row["id"], *(c["id"] for c in row["components"])]]
    assert ids == list(range(1, len(ids) + 1))
    defaults = [o["value"] for o in rows[0]["components"][0]["options"] if o["default"]]
    assert defaults == ["default"]


@pytest.mark.parametrize(
    ("custom_id", "selected", "unselected"),
    [
        ("MJ::Settings::RemixMode", {"MJ::Settings::RemixMode"}, set()),
        ("MJ::Settings::Style::raw", {"MJ::Settings::Style::raw"}, set()),
        ("MJ::Settings::Stylization::750", {"MJ::Settings::Stylization::750"},
         {"MJ::Settings::Stylization::100"}),
        ("MJ::Settings::HighVariabilityMode::0", {"MJ::Settings::HighVariabilityMode::0"},
         {"MJ::Settings::HighVariabilityMode::1"}),
        ("MJ::Settings::RelaxMode", {"MJ::Settings::RelaxMode"}, {"MJ::Settings::FastMode"}),
        ("MJ::Settings::TurboMode", {"MJ::Settings::TurboMode"}, {"MJ::Settings::FastMode"}),
        ("MJ::Settings::PrivateMode::on", {"MJ::Settings::PrivateMode::on"},
         {"MJ::Settings::PrivateMode::off"}),
    ],
)  # fmt: skip
def test_a_press_moves_the_green_button(custom_id: str, selected: set, unselected: set) -> None:
    state = _state()
    assert apply_setting(state, custom_id, [])
    buttons = _buttons(state)
    assert {cid for cid in selected if buttons[cid]["style"] == 3} == selected
    assert {cid for cid in unselected if buttons[cid]["style"] == 2} == unselected
    radio_groups = [
        [c for c in buttons if "Stylization" in c],
        [c for c in buttons if c.endswith(("TurboMode", "FastMode", "RelaxMode"))],
        [c for c in buttons if "HighVariabilityMode" in c],
        [c for c in buttons if "PrivateMode" in c],
    ]
    for group in radio_groups:
        assert sum(buttons[c]["style"] == 3 for c in group) == 1, group


def test_toggles_flip_back_and_reset_restores_the_defaults() -> None:
    state = _state()
    apply_setting(state, "MJ::Settings::RemixMode", [])
    assert state.remix
    apply_setting(state, "MJ::Settings::RemixMode", [])
    assert not state.remix
    for press in ("RemixMode", "Style::raw", "Stylization::250", "HighVariabilityMode::0"):
        apply_setting(state, f"MJ::Settings::{press}", [])
    apply_setting(state, "MJ::Settings::VersionSelector", ["6.1"])
    assert state.profile.settings_suffix() == "--v 6.1 --style raw --s 250"
    assert apply_setting(state, "MJ::Settings::ResetSettings", [])
    assert not state.remix and state.profile.settings_suffix() == ""
    assert state.profile.high_variation


def test_unknown_presses_and_values_change_nothing() -> None:
    state = _state()
    before = settings_components(state)
    assert not apply_setting(state, "MJ::Settings::Nope", [])
    assert not apply_setting(state, "MJ::Settings::Stylization::42", [])
    assert not apply_setting(state, "MJ::Settings::VersionSelector", ["99"])
    assert not apply_setting(state, "MJ::Settings::VersionSelector", [])
    assert settings_components(state) == before


def test_prompts_get_options_expanded_and_suffixes_added_once() -> None:
    profile = Profile(suffix="--ar 3:2", options={"wide": "--ar 16:9 --c 10"})
    assert profile.apply_to("a fox") == "a fox --ar 3:2"
    assert profile.apply_to("a fox --ar 1:1") == "a fox --ar 1:1"  # the prompt's own wins
    assert profile.apply_to("a fox --wide") == "a fox --ar 16:9 --c 10"
    profile.version = "niji 6"
    assert profile.apply_to("a fox") == "a fox --niji 6 --ar 3:2"
    assert profile.apply_to("a fox --v 6") == "a fox --v 6 --ar 3:2"
    assert Profile().apply_to("  a   fox ") == "a fox"


def test_fast_time_goes_down_for_fast_and_turbo_only() -> None:
    usage = Usage(fast_total_minutes=60, fast_left_minutes=60)
    usage.charge("fast", 4, 1.0)
    usage.charge("turbo", 4, 1.0)
    usage.charge("relaxed", 4, 1.0)
    assert usage.fast_left_minutes == 57
    assert (usage.lifetime_images, usage.lifetime_minutes) == (12, 3.0)
    assert (usage.relaxed_images, usage.relaxed_minutes) == (4, 1.0)
    usage.charge("fast", 1, 100.0)
    assert usage.fast_left_minutes == 0 and usage.fast_exhausted
    usage.set_fast_left(1e9)
    assert usage.fast_left_minutes == 60


def test_info_lines_parse_with_the_proxies_patterns() -> None:
    spec = _fixture("mj-info.message_update.json")
    state = _state()
    state.mode = "relax"
    state.profile.usage.charge("fast", 4, 90.0)
    text = info_description(state, {"fast": 2, "relax": 1}, ["abc", "def"])
    fields = {}
    for line in filter(None, text.splitlines()):
        key, _, value = line.partition(":")
        fields[key.strip("*")] = value.strip()
    assert set(spec["required_keys"]) <= set(fields)
    for key, pattern in spec["patterns"].items():
        assert re.match(pattern, fields[key]), (key, fields[key])
    assert fields["Job Mode"] == "Relaxed"
    assert fields["Fast Time Remaining"] == "28.50/30.0 hours (95.00%)"
    assert fields["Queued Jobs (fast)"] == "2" and fields["Running Jobs"] == "abc, def"
    state.credits_exhausted = True
    assert "**Fast Time Remaining**: 0.00/30.0 hours (0.00%)" in info_description(state, {}, [])


def test_the_fast_time_fault_flag_takes_minutes() -> None:
    assert flag_to_fault("fast_time", "2.5") == ("fast_time", {"minutes": 2.5})
    with pytest.raises(FaultError):
        flag_to_fault("fast_time", "lots")


def test_each_bot_keeps_its_own_settings_and_both_share_the_gpu_time() -> None:
    state = _state()
    niji = state.prefs("1022952195194359889")
    assert apply_setting(niji, "MJ::Settings::RemixMode", [])
    assert apply_setting(niji, "MJ::Settings::RelaxMode", [])
    assert apply_setting(niji, "MJ::Settings::Style::raw", [])
    assert niji.remix and niji.mode == "relax" and niji.profile.raw
    assert not state.remix and state.mode == "fast" and not state.profile.raw  # Midjourney's
    state.profile.usage.charge("fast", 4, 60.0)
    assert niji.profile.usage is state.usage and state.usage.fast_left_minutes == 30 * 60 - 60
    assert "**Job Mode**: Relaxed" in info_description(state, {}, [], niji)
    assert "**Job Mode**: Fast" in info_description(state, {}, [])
