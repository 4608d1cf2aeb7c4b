"""An account's Midjourney state as read from `/info` and `/settings` (the accounts columns).

niji・journey keeps its own speed mode and Remix per account (spec v2 §6): a reading of niji's
replies goes to the `niji_*` columns (`niji_columns`); the fast time is the subscription's, read
from Midjourney's `/info`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class AccountState:
    """What the bot reported. None: not reported (or not read yet); the row keeps the old value.

    `info` holds every `/info` line as reported (label → value text); `settings` the panel's
    controls (label → selected) and the selected version (`version`).
    """

    job_mode: str | None = None
    remix: bool | None = None
    fast_time_remaining: str | None = None
    fast_minutes_left: float | None = None
    subscription: str | None = None
    queued_jobs: int | None = None
    running_jobs: int | None = None
    info: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None

    def columns(self) -> dict[str, Any]:
        """The accounts columns this reading sets (fields that were reported)."""
        values = {
            "job_mode": self.job_mode,
            "remix": self.remix,
            "fast_time_remaining": self.fast_time_remaining,
            "fast_minutes_left": self.fast_minutes_left,
            "subscription": self.subscription,
            "queued_jobs": self.queued_jobs,
            "running_jobs": self.running_jobs,
            "info": self.info,
            "settings": self.settings,
        }
        return {k: v for k, v in values.items() if v is not None}

    def niji_columns(self) -> dict[str, Any]:
        """The accounts columns a reading of niji・journey's replies sets."""
        values = {
            "niji_job_mode": self.job_mode,
            "niji_remix": self.remix,
            "niji_info": self.info,
            "niji_settings": self.settings,
        }
        return {k: v for k, v in values.items() if v is not None}

    def merged(self, other: AccountState) -> AccountState:
        """This reading updated by a later one (fields the later one reports win)."""
        changes = other.columns()
        return AccountState(**{**self.columns(), **changes})
