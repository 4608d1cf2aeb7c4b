"""Accounts as the novicezk dialect shows them (spec §C.2 `DiscordAccount`, without `userToken`),
with the live Midjourney state trueai's account pages show (spec v2 §7; docs/accounts.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _upper(value: Any) -> str | None:
    return str(value).upper() if value else None


def _ms(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def render_account(row: Any) -> dict[str, Any]:
    """One account; tokens never leave mjrelay. `mode` is the mode Midjourney last reported
    for the account (its configured default until the state was read); `nijiMode`/`nijiRemix`
    niji・journey's own (null for an account whose `bots` leave niji out)."""
    niji = "niji" in (row["bots"] or [])
    return {
        "id": row["id"],
        "name": row["name"],
        "remark": row["name"],
        "guildId": row["guild_id"],
        "channelId": row["channel_id"],
        "userAgent": row["user_agent"],
        "enable": row["enabled"],
        "coreSize": row["concurrency"],
        "queueSize": row["queue_size"],
        "timeoutMinutes": max(1, row["task_timeout_s"] // 60),
        "mode": _upper(row["job_mode"] or row["mode"]),
        "defaultMode": _upper(row["mode"]),
        "remix": row["remix"],
        "remixWanted": row["remix_wanted"],
        "remixAutoSubmit": row["remix_auto"],
        "fastTimeRemaining": row["fast_time_remaining"],
        "fastMinutesLeft": row["fast_minutes_left"],
        "fastExhausted": row["fast_exhausted"],
        "subscription": row["subscription"],
        "queuedJobs": row["queued_jobs"],
        "runningJobs": row["running_jobs"],
        "info": dict(row["info"] or {}),
        "stateReadAt": _ms(row["state_read_at"]),
        "nijiMode": _upper(row["niji_job_mode"] or row["mode"]) if niji else None,
        "nijiRemix": row["niji_remix"] if niji else None,
        "nijiStateReadAt": _ms(row["niji_state_read_at"]) if niji else None,
        "weight": row["weight"],
        "dayDrawLimit": row["daily_job_cap"],
        "workTime": row["working_hours"],
        "bots": list(row["bots"] or []),
        "health": row["health"],
        "healthReason": row["health_reason"],
        "sandbox": row["sandbox"],
        "running": row.get("running", 0),
    }
