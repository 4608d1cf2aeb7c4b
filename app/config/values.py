"""Value parsers for the settings: text in, a typed value out, `ValueError` with a reason.

Scalar parsers take the text of one environment variable (or a TOML scalar as text). List parsers
take the items already split: a comma-separated variable and a TOML array arrive the same way.
Pure: nothing here reads the environment or a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from standardwebhooks import Webhook

from app.accounts import AccountSpec, parse_accounts_json
from app.callbacks.policy import MAX_TIMEOUT_S, MIN_TIMEOUT_S, RetrySchedule
from app.callbacks.ssrf import Allowlist
from app.storage.location import StorageLocation, parse_storage_url

N = TypeVar("N", int, float)
Items = Sequence[str]
"""A list setting's entries, stripped, empty ones dropped."""


def split_items(text: str) -> list[str]:
    """The entries of a comma-separated list setting."""
    return [part.strip() for part in text.split(",") if part.strip()]


# ------------------------------------------------------------------------------ scalars


def as_optional_str(value: str) -> str | None:
    return value.strip() or None


def as_path(value: str) -> Path:
    if not value.strip():
        raise ValueError("must not be empty")
    return Path(value.strip()).expanduser()


def as_optional_path(value: str) -> Path | None:
    return Path(value.strip()).expanduser() if value.strip() else None


def _between(convert: Callable[[str], N], low: N, high: N, shown: str) -> Callable[[str], N]:
    def parse(value: str) -> N:
        number = convert(value)
        if not low <= number <= high:
            raise ValueError(f"must be between {shown}")
        return number

    return parse


def as_float_between(low: float, high: float) -> Callable[[str], float]:
    return _between(float, low, high, f"{low:g} and {high:g}")


def as_int_between(low: int, high: int) -> Callable[[str], int]:
    return _between(int, low, high, f"{low} and {high}")


as_port = as_int_between(0, 65535)


def as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def as_byte_size(value: str) -> int:
    number = int(value.strip())
    if not 1024 <= number <= 100 * 1024 * 1024:
        raise ValueError("must be between 1024 and 104857600 bytes")
    return number


def one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return lowered

    return parse


def as_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _optional_http_url(value: str, kind: str) -> str | None:
    """An http(s) URL without query or fragment, its trailing slash dropped; empty -> None."""
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
        raise ValueError(f"must be an http:// or https:// {kind}")
    return value


def as_cdn_host(value: str) -> str | None:
    """An origin such as https://img.example.com (no path, query or trailing slash)."""
    return _optional_http_url(value, "origin, e.g. https://img.example.com")


def as_storage_url(value: str) -> StorageLocation | None:
    """MJRELAY_STORAGE_URL: file:///folder or s3://bucket/prefix (empty: the default folder)."""
    return parse_storage_url(value) if value.strip() else None


def as_public_url(value: str) -> str | None:
    """A base URL objects are public under (a CDN or bucket website): http(s), no query."""
    return _optional_http_url(value, "URL, e.g. https://files.example.com")


def as_accounts(value: str) -> tuple[AccountSpec, ...]:
    """MJRELAY_ACCOUNTS: a JSON list of account objects (a TOML array of tables in the file)."""
    return tuple(parse_accounts_json(value)) if value.strip() else ()


def as_secret(value: str) -> str | None:
    """MJRELAY_API_SECRET and MJRELAY_ADMIN_SECRET: empty means no secret."""
    return value.strip() or None


def as_secret_override(value: str) -> str:
    """A per-dialect secret: set (even to an empty string, which turns auth off) wins."""
    return value.strip()


def as_api_prefix(value: str) -> str:
    """webman's `apiPrefix`: trimmed of spaces and slashes (`/mj/` -> `mj`)."""
    prefix = value.strip().strip("/").strip()
    if any(c.isspace() or c in "?#" for c in prefix):
        raise ValueError("must be a path segment such as mj or api/mj")
    return prefix


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def as_duration(text: str) -> float:
    """Seconds in `"90"`, `"90s"`, `"1.5m"`, `"2h"`, `"1d"` or `"250ms"`."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text.strip()!r} (use e.g. 30s, 5m, 2h, 1d)")
    return float(match.group(1)) * _UNIT_S[(match.group(2) or "s").lower()]


def as_callback_timeout(text: str) -> float:
    seconds = as_duration(text)
    if not MIN_TIMEOUT_S <= seconds <= MAX_TIMEOUT_S:
        raise ValueError(f"must be between {MIN_TIMEOUT_S:g} and {MAX_TIMEOUT_S:g} seconds")
    return seconds


# ------------------------------------------------------------------------------ lists


def as_words(items: Items) -> tuple[str, ...]:
    """Banned words or phrases."""
    return tuple(items)


def as_comma_list(items: Items) -> str | None:
    """A list handed on as comma-separated text (uvicorn's `forwarded_allow_ips`)."""
    return ",".join(items) or None


def as_hosts(items: Items) -> tuple[str, ...]:
    """MJRELAY_ALLOWED_HOSTS: `host`, `host:port`, `[v6]:port`, `*.suffix` or `*`."""
    hosts = []
    for item in items:
        entry = item.lower()
        if "/" in entry or "@" in entry or any(c.isspace() for c in entry) or "?" in entry:
            raise ValueError(f"{entry!r} is not a host name (no scheme or path: example.com)")
        if "*" in entry and entry != "*" and not (entry.startswith("*.") and entry.count("*") == 1):
            raise ValueError(f"{entry!r}: a wildcard is * alone or *.suffix")
        hosts.append(entry)
    return tuple(hosts)


def as_snowflakes(items: Items) -> tuple[str, ...]:
    if not items:
        raise ValueError("must name at least one application id")
    for one in items:
        if not (one.isascii() and one.isdigit() and 15 <= len(one) <= 20):
            raise ValueError(f"{one!r} is not a Discord id (15-20 digits)")
    return tuple(items)


def as_allowlist(items: Items) -> Allowlist:
    """Callback destinations opened although not public: CIDRs, addresses, names, `*.suffix`."""
    return Allowlist.parse(items)


def as_retry_schedule(items: Items) -> RetrySchedule:
    """The callback retry delays as durations, e.g. `5s,1m,5m,30m,2h`."""
    if not items:
        raise ValueError("needs at least one delay")
    return RetrySchedule(tuple(as_duration(item) for item in items))


def as_webhook_key(secret: str) -> str:
    """A signing secret as `whsec_` + base64 (what Svix and Standard Webhooks issue)."""
    value = secret.strip()
    if not value.startswith("whsec_"):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        Webhook(value)
    except Exception:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    return value


def as_webhook_keys(items: Items) -> tuple[str, ...]:
    """The callback signing secrets, newest first (several while a key is rotated)."""
    return tuple(as_webhook_key(item) for item in items)
