"""When a crashed account runner may start again: exponential backoff with a cap, per account.

Pure bookkeeping on a clock the caller passes. The n-th crash in a row waits
`min(base_s * 2**(n-1), cap_s)`; a runner that ran `healthy_s` or longer before it crashed
starts the count again, so one crash a day never ends up waiting the cap.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_S = 5.0
CAP_S = 300.0
HEALTHY_S = 600.0


@dataclass
class _History:
    started_at: float
    crashes: int = 0
    next_start_at: float = 0.0


class RestartBackoff:
    def __init__(
        self, base_s: float = BASE_S, cap_s: float = CAP_S, healthy_s: float = HEALTHY_S
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.healthy_s = healthy_s
        self._history: dict[str, _History] = {}

    def started(self, key: str, now: float) -> None:
        history = self._history.setdefault(key, _History(started_at=now))
        history.started_at = now

    def crashed(self, key: str, now: float) -> float:
        """Record a crash; the delay before the runner may start again."""
        history = self._history.setdefault(key, _History(started_at=now))
        if now - history.started_at >= self.healthy_s:
            history.crashes = 0
        history.crashes += 1
        # The exponent is bounded: a runner crashing for weeks must not overflow the float.
        delay = min(self.base_s * 2 ** min(history.crashes - 1, 32), self.cap_s)
        history.next_start_at = now + delay
        return delay

    def may_start(self, key: str, now: float) -> bool:
        history = self._history.get(key)
        return history is None or now >= history.next_start_at

    def forget(self, key: str) -> None:
        self._history.pop(key, None)
