"""Speed-mode rules (app/domain/speed.py): which mode a task runs in on an account."""

from __future__ import annotations

import pytest

from app.domain.speed import (
    AccountModes,
    ModeRequest,
    normalize_modes,
    prompt_mode,
    remix_matches,
    run_mode,
    with_mode_flag,
)


def test_prompt_flag_last_wins_and_needs_word_boundaries() -> None:
    assert prompt_mode("a cat --relax --fast") == "fast"
    assert prompt_mode("a cat --RELAX") == "relax"
    assert prompt_mode("a cat --relaxed") is None
    assert prompt_mode("a--turbo cat") is None


def test_client_modes_normalized() -> None:
    assert normalize_modes(["FAST", "relax", "bogus", "fast", 3]) == ["fast", "relax"]
    assert normalize_modes([]) is None and normalize_modes(None) is None


@pytest.mark.parametrize(
    ("request_", "account", "fallback", "expected"),
    [
        # Nothing asked: the account's default mode, relax once fast time is gone.
        (ModeRequest(), AccountModes(default_mode="turbo"), False, "turbo"),
        (ModeRequest(), AccountModes(default_mode="fast", fast_exhausted=True), False, "relax"),
        # Asked for a mode: that mode, never another.
        (ModeRequest(request_mode="relax"), AccountModes(job_mode="fast"), False, "relax"),
        (ModeRequest(request_mode="fast"), AccountModes(fast_exhausted=True), False, None),
        (ModeRequest(request_mode="fast"), AccountModes(fast_exhausted=True), True, "relax"),
        # A list: the account's current mode if listed (no switch), else the first it can run.
        (
            ModeRequest(filter_modes=["fast", "relax"]),
            AccountModes(job_mode="relax"),
            False,
            "relax",
        ),
        (
            ModeRequest(filter_modes=["turbo", "relax"]),
            AccountModes(job_mode="fast"),
            False,
            "turbo",
        ),
        (
            ModeRequest(filter_modes=["turbo", "relax"]),
            AccountModes(job_mode="turbo", fast_exhausted=True),
            False,
            "relax",
        ),
    ],
)
def test_run_mode(
    request_: ModeRequest, account: AccountModes, fallback: bool, expected: str | None
) -> None:
    assert run_mode(request_, account, fallback_relax=fallback) == expected


def test_remix_filter_follows_trueai() -> None:
    assert remix_matches(None, True, False)
    assert remix_matches(True, True, False)  # remix on, modal shown to the client
    assert not remix_matches(True, True, True)  # auto-submitted: the client never sees it
    assert not remix_matches(True, None, False)
    assert remix_matches(False, False, False) and remix_matches(False, True, True)
    assert not remix_matches(False, True, False)


def test_the_prompt_flag_follows_the_mode_it_runs_in() -> None:
    assert with_mode_flag("a cat --fast --ar 2:3", "relax") == "a cat --relax --ar 2:3"
    assert with_mode_flag("a cat --turbo --relax", "fast") == "a cat --fast --fast"
    assert with_mode_flag("a cat --ar 2:3", "relax") == "a cat --ar 2:3"
