"""Pure rate-limit bookkeeping from Discord's headers and 429 bodies (spec §2.5).

The REST transport asks `delay(route, now)` before each request and reports every response
with `update(...)` and every 429 with `on_429(...)`. Routes are keyed by method and path with
only the major parameters (channel, guild, webhook ids) kept, as Discord buckets them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_MAJOR = {"channels", "guilds", "webhooks"}
_SNOWFLAKE = re.compile(r"^\d{5,}$")


def route_key(method: str, path: str) -> str:
    """`POST /channels/123/messages/456` → `POST /channels/123/messages/{id}`."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    out: list[str] = []
    for i, part in enumerate(parts):
        major = i > 0 and parts[i - 1] in _MAJOR
        out.append(part if major or not _SNOWFLAKE.match(part) else "{id}")
    return f"{method.upper()} /{'/'.join(out)}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class RateLimiter:
    _route_bucket: dict[str, str] = field(default_factory=dict)
    _blocked_until: dict[str, float] = field(default_factory=dict)
    global_until: float = 0.0

    def _bucket(self, route: str) -> str:
        return self._route_bucket.get(route, route)

    def delay(self, route: str, now: float) -> float:
        """Seconds to wait before sending on `route` (0 when free)."""
        until = max(self.global_until, self._blocked_until.get(self._bucket(route), 0.0))
        return max(until - now, 0.0)

    def update(self, route: str, headers: Mapping[str, str], now: float) -> None:
        """Record X-RateLimit-* of any response: block the bucket when it is exhausted."""
        bucket = _header(headers, "X-RateLimit-Bucket")
        if bucket:
            self._route_bucket[route] = bucket
        remaining = _float(_header(headers, "X-RateLimit-Remaining"))
        reset_after = _float(_header(headers, "X-RateLimit-Reset-After"))
        if remaining is not None and remaining <= 0 and reset_after is not None:
            self._blocked_until[self._bucket(route)] = now + reset_after

    def on_429(self, route: str, retry_after: float, is_global: bool, now: float) -> float:
        """Record a 429; returns how long to wait before retrying."""
        if is_global:
            self.global_until = max(self.global_until, now + retry_after)
        else:
            bucket = self._bucket(route)
            self._blocked_until[bucket] = max(
                self._blocked_until.get(bucket, 0.0), now + retry_after
            )
        return self.delay(route, now)
