"""What the callback dispatcher runs with: a pure value, built from the settings.

`Settings.callback_config()` fills it from the already parsed settings; tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.callbacks.policy import DEFAULT_TIMEOUT_S, RetrySchedule
from app.callbacks.ssrf import Allowlist


@dataclass(frozen=True)
class DispatcherConfig:
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    timeout_s: float = DEFAULT_TIMEOUT_S
    concurrency: int = 16
    # The fallback when a NOTIFY is missed: under a second, so poll-only p99 stays ≤ 1 s.
    poll_interval_s: float = 0.5
    stats_interval_s: float = 15.0
    secrets: tuple[str, ...] = field(default=(), repr=False)  # webhook signing keys
    allowlist: Allowlist = field(default_factory=Allowlist)

    @property
    def hold_timeout_s(self) -> float:
        """How long PostgreSQL lets a claim sit idle in its transaction before ending it."""
        return 2 * self.timeout_s + 30.0
