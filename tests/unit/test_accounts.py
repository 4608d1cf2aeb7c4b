from __future__ import annotations

import json

import pytest

from app.accounts import parse_discordxy_config, spec_from_mapping
from tests.fixtures import API_FIXTURES

FIXTURES = API_FIXTURES


def _discordxy_config(token: str = "user-token-abc", second_token: str = "") -> dict:
    data = json.loads((FIXTURES / "discordxy.config.json").read_text())
    first, second = data["discord"]["accounts"]
    first["user-token"] = token
    for number, action in enumerate(first["action"]):
        action["guild-id"] = "111"
        action["channel-id"] = str(200 + number)
    second["user-token"] = second_token
    return data


def test_discordxy_config_fixture_with_empty_tokens_imports_nothing() -> None:
    data = json.loads((FIXTURES / "discordxy.config.json").read_text())
    assert parse_discordxy_config(data) == []


def test_discordxy_config_becomes_one_account_per_bot() -> None:
    specs = parse_discordxy_config(_discordxy_config())
    assert [(s.id, s.bots, s.concurrency, s.queue_size) for s in specs] == [
        ("200", ("mj",), 3, 10),
        ("201", ("pika",), 2, 3),
    ]
    assert all(s.task_timeout_s == 600 for s in specs)
    assert specs[0].user_agent and "Chrome/115" in specs[0].user_agent


def test_discordxy_config_same_channel_for_both_bots_gets_distinct_ids() -> None:
    data = _discordxy_config()
    for action in data["discord"]["accounts"][0]["action"]:
        action["channel-id"] = "300"
    assert [s.id for s in parse_discordxy_config(data)] == ["300-mj", "300-pika"]


def test_discordxy_disabled_account_is_imported_disabled() -> None:
    data = _discordxy_config()
    data["discord"]["accounts"][0]["enable"] = False
    assert {s.enabled for s in parse_discordxy_config(data)} == {False}


def test_not_a_discordxy_config_is_refused() -> None:
    with pytest.raises(ValueError, match=r"discord\.accounts"):
        parse_discordxy_config({"http": {}})


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        pytest.param({"token": "t", "guild_id": "1", "channel_id": "2", "bot": "dalle"}, "bots"),
        pytest.param({"token": "t", "guild_id": "1", "channel_id": "2", "mode": "warp"}, "mode"),
        pytest.param({"token": "t", "guild_id": "1", "channel_id": "2", "concurrency": 0}, "conc"),
        pytest.param(
            {"token": "t", "guild_id": "1", "channel_id": "2", "concurrency": "x"}, "whole"
        ),
    ],
)
def test_spec_validation(entry: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        spec_from_mapping(entry)
