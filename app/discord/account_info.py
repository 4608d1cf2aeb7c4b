"""Reading the account's own state from the bot's replies (spec v2 §1, §3, §4). Pure.

- `/info`: one embed titled "Your info" whose description has `**Key**: value` lines.
- `/settings`: the panel's buttons; style 3 (green) is selected. The speed group says the mode,
  `Remix mode` says remix; the version select's default option is the model.
- `/fast`, `/relax`, `/turbo`: content starting `Done!` means the switch happened.

Values are kept as the bot wrote them (`info`, `settings`) beside the few the worker acts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from app.discord.payload import as_list, opt_int, opt_str

INFO_TITLE = "your info"
MODE_COMMANDS = ("fast", "relax", "turbo")
SELECTED_STYLE = 3

_LINE = re.compile(r"^\s*\*\*(.+?)\*\*\s*:\s*(.*?)\s*$")
_HOURS_OF = re.compile(r"^\s*([\d.]+)\s*/\s*[\d.]+\s*hours?\b", re.I)
_MINUTES = re.compile(r"^\s*([\d.]+)\s*min", re.I)
_HOURS = re.compile(r"^\s*([\d.]+)\s*hours?\b", re.I)
_JOB_MODES = {"fast": "fast", "relaxed": "relax", "relax": "relax", "turbo": "turbo"}
_SPEED_BUTTONS = {
    "MJ::Settings::FastMode": "fast",
    "MJ::Settings::RelaxMode": "relax",
    "MJ::Settings::TurboMode": "turbo",
}
_REMIX_BUTTON = "MJ::Settings::RemixMode"
_VERSION_SELECT = "MJ::Settings::VersionSelector"


@dataclass(frozen=True, kw_only=True)
class AccountReading:
    """What one reply says of the account; None: that reply does not say."""

    job_mode: str | None = None
    remix: bool | None = None
    fast_time_remaining: str | None = None
    fast_minutes_left: float | None = None
    subscription: str | None = None
    queued_jobs: int | None = None
    running_jobs: int | None = None
    info: dict[str, str] | None = None
    settings: dict[str, Any] | None = None


def info_lines(description: str) -> dict[str, str]:
    """`**Key**: value` lines → {key: value}; other lines are skipped, padding trimmed."""
    lines = (_LINE.match(line) for line in description.splitlines())
    return {m.group(1).strip(): m.group(2) for m in lines if m}


def fast_minutes(text: str | None) -> float | None:
    """`29.57/30.0 hours (98.58%)` → 1774.2; `25.00 minutes` → 25.0; unknown → None."""
    if not text:
        return None
    for pattern, scale in ((_HOURS_OF, 60.0), (_MINUTES, 1.0), (_HOURS, 60.0)):
        found = pattern.match(text)
        if found:
            try:
                return round(float(found.group(1)) * scale, 2)
            except ValueError:
                return None
    return None


def _count(value: str | None) -> int | None:
    """`0` → 0, `None` → 0, `abc-123, def-456` (job ids) → 2."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    if text.lower() in ("", "none"):
        return 0
    return len([part for part in text.split(",") if part.strip()])


def parse_info(description: str) -> AccountReading:
    """The "Your info" embed's description."""
    lines = info_lines(description)
    queued = [_count(v) for k, v in lines.items() if k.lower().startswith("queued jobs")]
    mode = lines.get("Job Mode")
    return AccountReading(
        job_mode=_JOB_MODES.get(mode.strip().lower()) if mode else None,
        fast_time_remaining=lines.get("Fast Time Remaining"),
        fast_minutes_left=fast_minutes(lines.get("Fast Time Remaining")),
        subscription=lines.get("Subscription"),
        queued_jobs=sum(q for q in queued if q is not None) if queued else None,
        running_jobs=_count(lines.get("Running Jobs")),
        info=lines,
    )


def _components(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if isinstance(row, dict):
            for child in as_list(row.get("components")):
                if isinstance(child, dict):
                    yield child


def parse_settings(components: Any) -> AccountReading | None:
    """The settings panel's components; None when they are not a settings panel."""
    controls = list(_components(as_list(components)))
    ids = {opt_str(c.get("custom_id")) or "" for c in controls}
    if not any(i.startswith("MJ::Settings::") for i in ids):
        return None
    settings: dict[str, Any] = {}
    job_mode: str | None = None
    remix: bool | None = None
    for control in controls:
        custom_id = opt_str(control.get("custom_id")) or ""
        if custom_id == _VERSION_SELECT:
            chosen = [o for o in as_list(control.get("options")) if isinstance(o, dict)]
            default = next((o for o in chosen if o.get("default") is True), None)
            if default is not None:
                settings["version"] = opt_str(default.get("label"))
            continue
        selected = opt_int(control.get("style")) == SELECTED_STYLE
        settings[opt_str(control.get("label")) or custom_id] = selected
        if custom_id in _SPEED_BUTTONS and selected:
            job_mode = _SPEED_BUTTONS[custom_id]
        if custom_id == _REMIX_BUTTON:
            remix = selected
    return AccountReading(job_mode=job_mode, remix=remix, settings=settings)


def mode_switched(command: str | None, content: str | None) -> str | None:
    """The mode a `/fast`, `/relax` or `/turbo` reply confirms, or None (refused, or not one)."""
    if command in MODE_COMMANDS and (content or "").lstrip().startswith("Done!"):
        return command
    return None


def remix_toggled(command: str | None, content: str | None) -> bool | None:
    """`/prefer remix`'s reply: on, off, or None when it is not one."""
    text = (content or "").lstrip()
    if command != "prefer remix":
        return None
    if text.startswith("Remix mode turned on"):
        return True
    if text.startswith("Remix mode turned off"):
        return False
    return None
