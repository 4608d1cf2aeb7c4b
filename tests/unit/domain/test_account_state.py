"""An account-state reading (app/domain/account_state.py) and account choice settings."""

from __future__ import annotations

import pytest

from app.accounts import AccountSpec, parse_working_hours, spec_from_mapping, within_hours
from app.domain.account_state import AccountState


def test_reading_sets_only_reported_fields_and_later_readings_win() -> None:
    info = AccountState(job_mode="fast", fast_minutes_left=30.0, info={"Job Mode": "Fast"})
    settings = AccountState(remix=True, job_mode="relax", settings={"Remix mode": True})
    assert "remix" not in info.columns() and "subscription" not in info.columns()
    merged = info.merged(settings)
    assert merged.job_mode == "relax" and merged.remix is True
    assert merged.fast_minutes_left == 30.0


def test_working_hours_wrap_midnight() -> None:
    assert parse_working_hours("09:00-18:30") == (540, 1110)
    assert within_hours("09:00-18:00", 9 * 60) and not within_hours("09:00-18:00", 18 * 60)
    assert within_hours("22:00-06:00", 23 * 60) and within_hours("22:00-06:00", 60)
    assert not within_hours("22:00-06:00", 12 * 60)
    assert within_hours(None, 0)
    for bad in ("9-18", "09:00-09:00", "25:00-01:00", "09:00-24:30"):
        with pytest.raises(ValueError):
            parse_working_hours(bad)


def test_account_choice_settings_are_validated() -> None:
    base = {"id": "a", "token": "t", "guild_id": "1", "channel_id": "2"}
    spec = spec_from_mapping(
        {**base, "weight": 3, "dayLimit": 50, "workTime": "08:00-20:00", "remixAutoSubmit": False}
    )
    assert (spec.weight, spec.daily_job_cap, spec.working_hours) == (3, 50, "08:00-20:00")
    assert spec.remix_auto is False
    with pytest.raises(ValueError, match="working hours"):
        AccountSpec(**base, working_hours="all day")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight"):
        AccountSpec(**base, weight=0)  # type: ignore[arg-type]
