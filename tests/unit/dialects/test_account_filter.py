"""trueai's accountFilter on novicezk submits: what is accepted, what is refused and how."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from app.dialects import novicezk
from app.dialects.novicezk_requests import parse_imagine
from app.dialects.novicezk_trueai_requests import parse_account_change, parse_account_filter
from app.domain.account_filter import AccountFilter, placement
from app.domain.commands import CreateTask, PressButton, SubmitModal, with_route_mode
from app.domain.errors import CommandError, ErrorKind
from tests.hostile import PROPERTY_SETTINGS, bodies

FILTER = {"instanceId": "1", "modes": ["FAST"], "remix": True, "remixAutoConsidered": False}
CHANGE = {"mode": "RELAX", "remix": True, "remixAutoSubmit": False}


def test_a_full_filter_becomes_the_domain_filter() -> None:
    found = parse_account_filter(
        {
            "instanceId": "1300000000000000001",
            "modes": ["relax", "FAST", "RELAX"],
            "remix": True,
            "nijiRemix": False,
            "remixAutoConsidered": False,
            "remark": "team-a",
            "somethingNew": 1,
        }
    )
    assert found == AccountFilter(
        instance_id="1300000000000000001",
        modes=("relax", "fast"),
        remix=True,
        niji_remix=False,
        remix_auto_considered=False,
        remark="team-a",
    )


def test_null_and_empty_parts_ask_nothing() -> None:
    assert parse_account_filter(None) is None
    assert parse_account_filter({"instanceId": "", "modes": [], "remark": None}) == (
        AccountFilter()
    )
    assert parse_account_filter({"channelId": "42"}) == AccountFilter(instance_id="42")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("FAST", "must be an object"),
        ({"modes": "FAST"}, "modes must be a list"),
        ({"modes": ["FAST", "SLOW"]}, "modes must be among FAST, RELAX, TURBO"),
        ({"modes": [1]}, "modes must be among"),
        ({"modes": ["FAST"] * 4}, "modes must be a list of at most 3"),
        ({"remix": "yes"}, "remix must be true, false or null"),
        ({"remixAutoConsidered": 1}, "remixAutoConsidered must be true, false or null"),
        ({"nijiRemix": "no"}, "nijiRemix must be"),
        ({"instanceId": 12}, "instanceId must be text of at most 100 characters"),
        ({"instanceId": "9" * 101}, "instanceId must be text"),
        ({"remark": "r" * 101}, "remark must be text of at most 100 characters"),
    ],
)
def test_bad_values_are_refused_with_the_dialects_message(value: Any, why: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_imagine({"prompt": "a cat", "accountFilter": value})
    assert caught.value.kind == ErrorKind.INVALID
    assert caught.value.message.startswith("accountFilter参数错误: ")
    assert why in caught.value.message


def test_imagine_carries_the_filter() -> None:
    cmd = parse_imagine({"prompt": "a cat", "accountFilter": {"modes": ["TURBO"]}})
    assert isinstance(cmd, CreateTask)
    assert cmd.extra.account_filter == AccountFilter(modes=("turbo",))


def test_the_route_prefix_wins_over_the_filter_and_the_prompt() -> None:
    wanted = AccountFilter(modes=("fast", "turbo"))
    assert placement("relax", wanted, "a cat --turbo")["request_mode"] == "relax"
    assert placement(None, wanted, "a cat --relax")["request_mode"] is None  # the filter's modes
    assert placement(None, wanted, "a cat")["filter_modes"] == ["fast", "turbo"]
    assert placement(None, None, "a cat --relax --fast")["request_mode"] == "fast"
    assert placement(None, None, "a cat --relaxed")["request_mode"] is None


def test_placement_columns() -> None:
    wanted = AccountFilter(
        instance_id="a1", remix=False, niji_remix=True, remix_auto_considered=True
    )
    assert placement(None, wanted, "a cat") == {
        "request_mode": None,
        "filter_account_id": "a1",
        "filter_modes": None,
        "filter_remix": False,
        "filter_niji_remix": True,
        "remix_auto": True,
    }


def test_a_route_mode_reaches_creates_and_presses_only() -> None:
    create = with_route_mode(parse_imagine({"prompt": "a cat"}), "relax")
    assert create.extra.route_mode == "relax"
    press = with_route_mode(PressButton(dialect="novicezk", parent_id="1"), "turbo")
    assert press.extra.route_mode == "turbo"
    modal = SubmitModal(task_id="1")
    assert with_route_mode(modal, "fast") is modal
    assert with_route_mode(create, None) is create


@PROPERTY_SETTINGS
@given(bodies(FILTER, [*FILTER, "remark", "nijiRemix", "channelId"]), bodies(CHANGE, list(CHANGE)))
def test_anything_is_parsed_or_refused_in_the_dialects_envelope(wanted: Any, change: Any) -> None:
    for call in (
        lambda: parse_account_filter(wanted),
        lambda: parse_account_change("acct", change),
    ):
        try:
            call()
        except CommandError as err:
            status, body = novicezk.error_body(err)
            assert status == 200 and b'"code":4' in body


def test_an_account_change_wishes_mode_and_remix() -> None:
    change = parse_account_change("a1", {"mode": "relax", "remix": False})
    assert (change.account_id, change.mode, change.remix, change.remix_auto) == (
        "a1",
        "relax",
        False,
        None,
    )
    for bad in ({}, {"mode": None, "remix": None}, {"mode": "slow"}, {"remixAutoSubmit": 1}, []):
        with pytest.raises(CommandError):
            parse_account_change("a1", bad)
