"""Armed faults wait for a job: the account controls (/info, /settings …) never use them up."""

from __future__ import annotations

from typing import Any

from app.sandbox.bot_flags import is_control
from app.sandbox.interactions import Interaction


def _interaction(type_: int, **data: Any) -> Interaction:
    return Interaction(
        id="1", type=type_, state=None,  # type: ignore[arg-type]  # not read by is_control
        application_id="", channel_id="", guild_id="", session_id=None, nonce=None, data=data,
    )  # fmt: skip


def test_account_controls_are_told_apart_from_jobs() -> None:
    for name in ("info", "settings", "fast", "relax", "turbo", "prefer"):
        assert is_control(_interaction(2, name=name)), name
    assert not is_control(_interaction(2, name="imagine"))
    assert is_control(_interaction(3, custom_id="MJ::Settings::RemixMode"))
    assert not is_control(_interaction(3, custom_id="MJ::JOB::upsample::1::abc"))
    assert not is_control(_interaction(5, custom_id="MJ::RemixModal::abc::1::1"))
