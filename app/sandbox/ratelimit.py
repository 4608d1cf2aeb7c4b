"""Per-account REST rate limits (fixed window) and the X-RateLimit-* headers Discord sends."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    reset_after: float
    bucket: str

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": f"{self.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{self.reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket,
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.reset_after)))
            headers["X-RateLimit-Scope"] = "user"
        return headers


def limited(retry_after: float, limit: int, bucket: str) -> Decision:
    """A forced 429 (fault injection) with the given retry_after."""
    return Decision(False, limit, 0, time.time() + retry_after, retry_after, bucket)


class RateLimiter:
    def __init__(self, limit: int = 50, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[str, tuple[float, int]] = {}

    def check(self, key: str, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        start, used = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, used = now, 0
        reset_at = start + self.window
        bucket = f"{abs(hash(key)) % (1 << 48):012x}"
        if used >= self.limit:
            return Decision(False, self.limit, 0, reset_at, reset_at - now, bucket)
        self._windows[key] = (start, used + 1)
        return Decision(True, self.limit, self.limit - used - 1, reset_at, reset_at - now, bucket)
