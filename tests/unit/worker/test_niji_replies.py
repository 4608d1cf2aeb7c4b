"""niji・journey's own /info, /settings and mode replies (spec v2 §6): parsed like Midjourney's,
told apart by their author, and stored in the niji columns (app/worker/control_replies.py,
app/domain/account_state.py)."""

from __future__ import annotations

import copy
from typing import Any

from app.discord.constants import MJ_APPLICATION_ID, NIJI_APPLICATION_ID, PIKA_APPLICATION_ID
from app.discord.events import AccountStateRead
from app.discord.parse import parse_dispatch
from app.domain.actions import Bot
from app.domain.task import Task
from app.worker.control_replies import bot_of_reply
from app.worker.controls import bot_of_task, state_of
from tests.fixtures import discord_fixture


def _as_niji(name: str) -> dict[str, Any]:
    data = copy.deepcopy(discord_fixture(name)["d"])
    data["author"]["id"] = NIJI_APPLICATION_ID
    data["author"]["username"] = "niji・journey Bot"
    return data


def _panel(data: dict[str, Any], selected: set[str], cleared: set[str]) -> None:
    for row in data["components"]:
        for control in row["components"]:
            if control.get("custom_id") in selected:
                control["style"] = 3
            elif control.get("custom_id") in cleared:
                control["style"] = 2


def test_nijis_settings_panel_is_read_as_nijis() -> None:
    data = _as_niji("mj-settings.message_update.json")
    _panel(
        data,
        {"MJ::Settings::RemixMode", "MJ::Settings::RelaxMode"},
        {"MJ::Settings::FastMode", "MJ::Settings::TurboMode"},
    )
    event = parse_dispatch("MESSAGE_UPDATE", data)
    assert isinstance(event, AccountStateRead) and event.source == "settings"
    assert bot_of_reply(event.meta.author_id) == Bot.NIJI
    assert (event.reading.job_mode, event.reading.remix) == ("relax", True)
    columns = state_of(event.reading).niji_columns()
    assert (columns["niji_job_mode"], columns["niji_remix"]) == ("relax", True)
    assert columns["niji_settings"]["Remix mode"] is True
    assert set(columns) == {"niji_job_mode", "niji_remix", "niji_settings"}


def test_nijis_info_sets_nijis_mode_and_keeps_every_line() -> None:
    data = _as_niji("mj-info.message_update.json")
    data["embeds"][0]["description"] = data["embeds"][0]["description"].replace(
        "**Job Mode**: Fast", "**Job Mode**: Relaxed"
    )
    event = parse_dispatch("MESSAGE_UPDATE", data)
    assert isinstance(event, AccountStateRead) and event.source == "info"
    assert bot_of_reply(event.meta.author_id) == Bot.NIJI
    columns = state_of(event.reading).niji_columns()
    assert columns["niji_job_mode"] == "relax"
    assert columns["niji_info"]["Job Mode"] == "Relaxed"
    # The fast time is the subscription's: a niji reading does not set the shared columns.
    assert not {"fast_minutes_left", "job_mode", "remix"} & set(columns)


def test_replies_are_told_apart_by_their_author() -> None:
    assert bot_of_reply(MJ_APPLICATION_ID) == Bot.MJ
    assert bot_of_reply(NIJI_APPLICATION_ID) == Bot.NIJI
    assert bot_of_reply(PIKA_APPLICATION_ID) is None
    assert bot_of_reply(None) is None


def test_a_tasks_mode_is_its_bots() -> None:
    assert bot_of_task(Task(id="1", dialect="novicezk", action="IMAGINE", bot="niji")) == Bot.NIJI
    assert bot_of_task(Task(id="2", dialect="novicezk", action="IMAGINE")) == Bot.MJ
    assert bot_of_task(Task(id="3", dialect="novicezk", action="PIKA_CREATE", bot="pika")) == (
        Bot.MJ
    )
