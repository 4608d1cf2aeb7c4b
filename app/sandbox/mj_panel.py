"""The /settings panel and the /info embed text, drawn from an account's state. Pure.

Panel ids, labels and styles are spec §1.3 (style 3 = selected, 2 = not); the rows carry
Discord's 2025 auto-numbered component `id`s, the version select being `id` 1's row.
"""

from __future__ import annotations

from typing import Any, Protocol

from app.sandbox.accounts import AccountState
from app.sandbox.mj_profile import PLAN, RENEWS_AT, STYLIZE_LEVELS, VERSIONS, Profile

Component = dict[str, Any]
SETTINGS_PREFIX = "MJ::Settings::"
SELECTED, NOT_SELECTED = 3, 2
MODE_LABELS = {"fast": "Fast", "relax": "Relaxed", "turbo": "Turbo"}


class Settings(Protocol):
    """One bot's settings for an account (`accounts.BotPrefs`; the account is Midjourney's)."""

    mode: str
    remix: bool

    @property
    def profile(self) -> Profile: ...


def settings_content(profile: Profile) -> str:
    """The panel's text (its real wording is not captured: spec gap 1)."""
    suffix = profile.current_suffix()
    if not suffix:
        return "Adjust your settings here."
    return f"Adjust your settings here. Current suffix: `{suffix}`"


def settings_components(state: Settings) -> list[Component]:
    profile = state.profile

    def toggle(key: str, label: str, on: bool) -> Component:
        style = SELECTED if on else NOT_SELECTED
        return {"type": 2, "style": style, "label": label, "custom_id": SETTINGS_PREFIX + key}

    select = {
        "type": 3, "custom_id": SETTINGS_PREFIX + "VersionSelector",
        "placeholder": "Select a model", "min_values": 1, "max_values": 1,
        "options": [{"label": label, "value": value, "default": value == profile.version}
                    for value, label in VERSIONS],
    }  # fmt: skip
    rows = [
        [select],
        [toggle("Style::raw", "RAW Mode", profile.raw)]
        + [toggle(f"Stylization::{value}", f"Stylize {name}", profile.stylize == value)
           for value, name in STYLIZE_LEVELS],
        [toggle("PrivateMode::off", "Public mode", profile.public),
         toggle("PrivateMode::on", "Stealth mode", not profile.public),
         toggle("RemixMode", "Remix mode", state.remix),
         toggle("HighVariabilityMode::1", "High Variation Mode", profile.high_variation),
         toggle("HighVariabilityMode::0", "Low Variation Mode", not profile.high_variation)],
        [toggle("TurboMode", "Turbo mode", state.mode == "turbo"),
         toggle("FastMode", "Fast mode", state.mode == "fast"),
         toggle("RelaxMode", "Relax mode", state.mode == "relax"),
         toggle("ResetSettings", "Reset Settings", False)],
    ]  # fmt: skip
    numbered: list[Component] = []
    next_id = 1
    for items in rows:
        row: Component = {"type": 1, "id": next_id, "components": []}
        next_id += 1
        for item in items:
            row["components"].append({**item, "id": next_id})
            next_id += 1
        numbered.append(row)
    return numbered


def apply_setting(state: Settings, custom_id: str, values: list[str]) -> bool:
    """Change the account for one press (or select); False for an id or value it does not know."""
    profile = state.profile
    key = custom_id.removeprefix(SETTINGS_PREFIX)
    head, _, arg = key.partition("::")
    stylize = {str(value) for value, _ in STYLIZE_LEVELS}
    if key == "VersionSelector":
        if len(values) != 1 or values[0] not in {value for value, _ in VERSIONS}:
            return False
        profile.version = values[0]
    elif key == "Style::raw":
        profile.raw = not profile.raw
    elif head == "Stylization" and arg in stylize:
        profile.stylize = int(arg)
    elif head == "PrivateMode" and arg in ("on", "off"):
        profile.public = arg == "off"
    elif key == "RemixMode":
        state.remix = not state.remix
    elif head == "HighVariabilityMode" and arg in ("0", "1"):
        profile.high_variation = arg == "1"
    elif key in ("TurboMode", "FastMode", "RelaxMode"):
        state.mode = key.removesuffix("Mode").lower()
    elif key == "ResetSettings":
        profile.reset()
        state.remix = False
    else:
        return False
    return True


def info_description(
    state: AccountState, queued: dict[str, int], running: list[str], bot: Settings | None = None
) -> str:
    """The "Your info" embed's lines (spec §3's captured layout, `**Key**: value`).

    `bot`: the settings of the bot asked (its job mode and visibility); Midjourney's by default.
    """
    bot = bot or state
    usage = state.usage
    total_hours = usage.fast_total_minutes / 60
    left_hours = 0.0 if state.credits_exhausted else usage.fast_left_minutes / 60
    percent = 100 * left_hours / total_hours if total_hours else 0.0
    lines = [
        f"**User ID**: {state.account.user_id}",
        f"**Subscription**: {PLAN} (Active monthly, renews next on <t:{RENEWS_AT}>)",
        f"**Job Mode**: {MODE_LABELS[bot.mode]}",
        f"**Visibility Mode**: {'Public' if bot.profile.public else 'Stealth'}",
        f"**Fast Time Remaining**: {left_hours:.2f}/{total_hours:.1f} hours ({percent:.2f}%)",
        f"**Lifetime Usage**: {usage.lifetime_images} images "
        f"({usage.lifetime_minutes / 60:.2f} hours)",
        f"**Relaxed Usage**: {usage.relaxed_images} images "
        f"({usage.relaxed_minutes / 60:.2f} hours)",
        "",
        f"**Queued Jobs (fast)**: {queued.get('fast', 0)}",
        f"**Queued Jobs (relax)**: {queued.get('relax', 0)}",
        f"**Running Jobs**: {', '.join(running) if running else 'None'}",
    ]
    return "\n".join(lines)
