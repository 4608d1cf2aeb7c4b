"""Account specifications from configuration: `MJRELAY_ACCOUNTS` and Discordxy's `config.json`.

Pure parsing: text or decoded JSON in, `AccountSpec`s out, `ValueError` with a readable reason for
anything wrong. The CLI and the worker write the specs to the `accounts` table.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

BOTS = ("mj", "niji", "pika")
MODES = ("fast", "relax", "turbo")

DEFAULT_CONCURRENCY = 3
# Tasks waiting per account beyond its running ones before submits are refused (novicezk code 23).
# The queue is durable PostgreSQL rows, so a burst of a thousand costs nothing to hold; novicezk's
# own default (10, an in-memory queue) stays one setting away. See docs/api.md "Admission".
DEFAULT_QUEUE_SIZE = 1000
DEFAULT_TIMEOUT_S = 600


@dataclass(frozen=True)
class AccountSpec:
    """One Discord account driving one bot in one channel."""

    id: str
    token: str = field(repr=False)
    guild_id: str
    channel_id: str
    name: str = ""
    bots: tuple[str, ...] = ("mj",)
    user_agent: str | None = None
    mode: str = "fast"
    concurrency: int = DEFAULT_CONCURRENCY
    queue_size: int = DEFAULT_QUEUE_SIZE
    task_timeout_s: int = DEFAULT_TIMEOUT_S
    enabled: bool = True
    sandbox: bool = False
    api_base: str | None = None
    gateway_url: str | None = None
    # Remix modals auto-submitted with the task's prompt (a task's own choice wins).
    remix_auto: bool = True
    # Account choice (docs/accounts.md): share under `weighted`, jobs per UTC day, hours it works.
    weight: int = 1
    daily_job_cap: int | None = None
    working_hours: str | None = None

    def __post_init__(self) -> None:
        for name in ("token", "guild_id", "channel_id"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"account {self.id or '?'}: {name} is required")
        for name in ("guild_id", "channel_id"):
            if not str(getattr(self, name)).isdigit():
                raise ValueError(f"account {self.id}: {name} must be a Discord id (digits)")
        unknown = set(self.bots) - set(BOTS)
        if not self.bots or unknown:
            raise ValueError(f"account {self.id}: bots must be among {', '.join(BOTS)}")
        if self.mode not in MODES:
            raise ValueError(f"account {self.id}: mode must be one of {', '.join(MODES)}")
        if not 1 <= self.concurrency <= 100:
            raise ValueError(f"account {self.id}: concurrency must be between 1 and 100")
        if not 0 <= self.queue_size <= 10_000:
            raise ValueError(f"account {self.id}: queue size must be between 0 and 10000")
        if not 10 <= self.task_timeout_s <= 86_400:
            raise ValueError(f"account {self.id}: task timeout must be 10 s to 1 day")
        if not 1 <= self.weight <= 1000:
            raise ValueError(f"account {self.id}: weight must be between 1 and 1000")
        if self.daily_job_cap is not None and not 0 <= self.daily_job_cap <= 1_000_000:
            raise ValueError(f"account {self.id}: daily job cap must be between 0 and 1000000")
        if self.working_hours is not None:
            try:
                parse_working_hours(self.working_hours)
            except ValueError as exc:
                raise ValueError(f"account {self.id}: {exc}") from None

    def row(self) -> dict[str, Any]:
        """Column values for the accounts table."""
        values = asdict(self)
        values["bots"] = list(self.bots)
        return values


_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def parse_working_hours(text: str) -> tuple[int, int]:
    """`HH:MM-HH:MM` (UTC; may wrap midnight) → (start, end) in minutes of the day."""
    found = _HOURS.match(text.strip())
    if not found:
        raise ValueError(f"working hours must look like 09:00-18:00 (UTC), not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end or end > 24 * 60:
        raise ValueError(f"working hours {text!r} are empty or past 24:00")
    return start, end


def within_hours(text: str | None, minute_of_day: int) -> bool:
    """Is this minute (UTC) inside the working hours? None: always."""
    if not text:
        return True
    start, end = parse_working_hours(text)
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def _pick(entry: dict[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in entry and entry[name] not in (None, ""):
            return entry[name]
    return default


def _int(entry: dict[str, Any], *names: str, default: int) -> int:
    value = _pick(entry, *names, default=default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{names[0]} must be a whole number")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{names[0]} must be a whole number, not {value!r}") from None


def spec_from_mapping(entry: dict[str, Any]) -> AccountSpec:
    """One entry of MJRELAY_ACCOUNTS: snake_case or Discordxy's kebab-case keys."""
    if not isinstance(entry, dict):
        raise ValueError("each account must be a JSON object")
    channel = str(_pick(entry, "channel_id", "channel-id", "channelId", default=""))
    bots = _pick(entry, "bots", "bot", default=["mj"])
    if isinstance(bots, str):
        bots = [bots]
    if not isinstance(bots, list):
        raise ValueError('bots must be a list such as ["mj"]')
    if _pick(entry, "task_timeout_s") is not None:
        timeout_s = _int(entry, "task_timeout_s", default=DEFAULT_TIMEOUT_S)
    else:
        timeout_s = 60 * _int(entry, "timeout_minutes", "timeout-minutes", default=10)
    return AccountSpec(
        id=str(_pick(entry, "id", default=channel)),
        name=str(_pick(entry, "name", default="")),
        token=str(_pick(entry, "token", "user_token", "user-token", "userToken", default="")),
        guild_id=str(_pick(entry, "guild_id", "guild-id", "guildId", default="")),
        channel_id=channel,
        bots=tuple(str(b).lower() for b in bots),
        user_agent=_pick(entry, "user_agent", "user-agent", "userAgent"),
        mode=str(_pick(entry, "mode", default="fast")).lower(),
        concurrency=_int(entry, "concurrency", "core_size", "core-size", "coreSize", default=3),
        queue_size=_int(entry, "queue_size", "queue-size", "queueSize", default=DEFAULT_QUEUE_SIZE),
        task_timeout_s=timeout_s,
        enabled=bool(_pick(entry, "enabled", "enable", default=True)),
        api_base=_pick(entry, "api_base"),
        gateway_url=_pick(entry, "gateway_url"),
        remix_auto=bool(_pick(entry, "remix_auto", "remixAutoSubmit", default=True)),
        weight=_int(entry, "weight", default=1),
        daily_job_cap=_optional_int(entry, "daily_job_cap", "dayLimit"),
        working_hours=_pick(entry, "working_hours", "workTime"),
    )


def _optional_int(entry: dict[str, Any], *names: str) -> int | None:
    if _pick(entry, *names) is None:
        return None
    return _int(entry, *names, default=0)


def parse_accounts_json(text: str) -> list[AccountSpec]:
    """MJRELAY_ACCOUNTS: a JSON list of account objects."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, list):
        raise ValueError("must be a JSON list of account objects")
    specs = [spec_from_mapping(entry) for entry in data]
    _check_unique(specs)
    return specs


def parse_discordxy_config(data: Any) -> list[AccountSpec]:
    """Discordxy's config.json: each account's `action` entries become one account per bot.

    One Discordxy token may serve both bots, each in its own channel with its own core and queue
    size; mjrelay keeps one row per (token, bot, channel), named `<channel>` or `<channel>-<bot>`.
    Accounts with an empty token (the file's template entries) are skipped.
    """
    try:
        entries = data["discord"]["accounts"]
    except (TypeError, KeyError):
        raise ValueError("not a Discordxy config: no discord.accounts list") from None
    if not isinstance(entries, list):
        raise ValueError("discord.accounts must be a list")
    specs: list[AccountSpec] = []
    for number, account in enumerate(entries, start=1):
        if not isinstance(account, dict) or not account.get("user-token"):
            continue
        actions = account.get("action") or []
        channels = [a.get("channel-id") for a in actions if isinstance(a, dict)]
        for action in actions:
            if not isinstance(action, dict):
                continue
            bot = str(action.get("name", "mj")).lower()
            channel = str(action.get("channel-id", ""))
            merged = {
                **account,
                **action,
                "id": channel if channels.count(channel) == 1 else f"{channel}-{bot}",
                "name": f"discordxy-{number}-{bot}",
                "bots": [bot],
            }
            specs.append(spec_from_mapping(merged))
    _check_unique(specs)
    return specs


def _check_unique(specs: list[AccountSpec]) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise ValueError(f"two accounts share the id {spec.id!r}")
        seen.add(spec.id)
