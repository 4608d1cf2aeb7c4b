"""Client API keys (docs/keys.md): their form, their hash, and the values of their limits.

A key is `mjr_` + 32 random bytes in URL-safe base64 (256 bits). Only its SHA-256 is stored: a
slow password hash (bcrypt, scrypt, argon2) exists to make guessing a *low-entropy* secret
expensive, but nobody can enumerate 2^256 random keys however fast the hash is, so a fast hash
loses nothing and keeps the check cheap enough to run on every request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PREFIX = "mjr_"
_SHOWN = len(PREFIX) + 6  # how much of a key `key list` shows to recognise it
_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*$", re.I)
_PER_MINUTE = {"s": 60, "sec": 60, "second": 60, "m": 1, "min": 1, "minute": 1}
MAX_NAME = 64
MAX_LIMIT = 1_000_000_000  # any limit (tasks, requests a minute) fits PostgreSQL's integer
NAME_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def looks_like_key(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX) and len(str(value)) <= 200


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def shown_prefix(key: str) -> str:
    return key[:_SHOWN] + "…"


def parse_rate(text: str) -> int:
    """`"60/min"`, `"2/s"`, `"600/hour"` or `"60"` (per minute) -> requests per minute."""
    match = _RATE.match(text or "")
    if not match:
        raise ValueError(f"rate {text!r}: expected N/min, N/s or N/hour")
    count, unit = int(match.group(1)), (match.group(2) or "min").lower()
    per_minute = count // 60 if unit in ("h", "hour") else count * _PER_MINUTE[unit]
    if not 1 <= per_minute <= MAX_LIMIT:
        raise ValueError(f"rate {text!r}: 1 to {MAX_LIMIT} requests a minute")
    return per_minute


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not NAME_CHARS.match(name):
        raise ValueError(f"key name {name!r}: 1-{MAX_NAME} letters, digits, or . _ @ - (not first)")
    return name


@dataclass(frozen=True)
class ApiKey:
    """A key as the web process sees it (never its value, nor even its hash)."""

    id: int
    name: str
    admin: bool = False
    enabled: bool = True
    expires_at: datetime | None = None
    daily_limit: int | None = None
    total_limit: int | None = None
    concurrency: int | None = None
    rate_per_min: int | None = None
    dialects: tuple[str, ...] | None = None
    accounts: tuple[str, ...] | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | Any) -> ApiKey:
        get = row.__getitem__
        dialects, accounts = get("dialects"), get("accounts")
        return cls(
            id=int(get("id")),
            name=str(get("name")),
            admin=bool(get("admin")),
            enabled=bool(get("enabled")),
            expires_at=get("expires_at"),
            daily_limit=get("daily_limit"),
            total_limit=get("total_limit"),
            concurrency=get("concurrency"),
            rate_per_min=get("rate_per_min"),
            dialects=tuple(dialects) if dialects is not None else None,
            accounts=tuple(accounts) if accounts else None,
        )

    def usable(self, now: datetime) -> bool:
        """Enabled and not expired."""
        return self.refusal_any(now) is None

    def refusal_any(self, now: datetime) -> str | None:
        """Why this key may not be used now at all, or None."""
        if not self.enabled:
            return "API key is disabled"
        if self.expires_at is not None and self.expires_at <= now:
            return "API key has expired"
        return None

    def refusal(self, dialect: str, now: datetime) -> str | None:
        """Why this key may not be used now on `dialect`, or None."""
        reason = self.refusal_any(now)
        if reason is None and self.dialects is not None and dialect not in self.dialects:
            return f"API key is not allowed on the {dialect} API"
        return reason

    @property
    def scope(self) -> str:
        """Its idempotency scope."""
        return f"key:{self.id}"
