"""A web process's memory of the client keys it looked up a moment ago, with the rate tokens it
took for them (docs/keys.md "What keys cost").

A key's lookup (db/api_keys.py `use_key`) is a round trip that cost a keyed submit a fifth of
its rate. So a web process keeps a usable key for `TTL_S` after looking it up, with the spare
rate tokens that lookup took from the key's bucket (a tenth of a second's worth at most): a
request of that key then needs no lookup until its tokens or its time run out. What that
changes: in a process that had just looked it up, a key disabled meanwhile may still read for
up to `TTL_S` but create no task (the admission checks the key again in SQL), and a rotated
key's old value may still read and submit for up to `TTL_S`. Expiry is checked on every
request. Tokens a process keeps and does not use are lost, at most a tenth of the key's rate.
Only usable keys are kept, so a refusal is never remembered.

Pure: the caller passes the clock's reading.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.keys import ApiKey

TTL_S = 1.0
MAX_KEYS = 10_000


@dataclass
class _Kept:
    key: ApiKey
    tokens: float | None  # spare rate tokens; None: the key has no rate limit
    until: float


class KeyCache:
    """Keys by the hash of their value, each for TTL_S after its lookup."""

    def __init__(self, ttl_s: float | None = None, max_keys: int = MAX_KEYS) -> None:
        self._ttl_s = TTL_S if ttl_s is None else ttl_s
        self._max_keys = max_keys
        self._kept: dict[str, _Kept] = {}

    def take(self, digest: str, now: float) -> ApiKey | None:
        """The key, one of its spare tokens spent, when it was looked up less than TTL_S ago
        and (if it has a rate) a token is left; else None: look it up."""
        kept = self._kept.get(digest)
        if kept is None:
            return None
        if now >= kept.until:
            del self._kept[digest]
            return None
        if kept.tokens is not None:
            if kept.tokens < 1:
                return None
            kept.tokens -= 1
        return kept.key

    def keep(self, digest: str, key: ApiKey, spare_tokens: float | None, now: float) -> None:
        """Remember a usable key just looked up, with the tokens taken beyond this request's."""
        if len(self._kept) >= self._max_keys and digest not in self._kept:
            self._kept = {d: k for d, k in self._kept.items() if now < k.until}
            if len(self._kept) >= self._max_keys:
                return  # a flood of distinct keys: look them up every time
        self._kept[digest] = _Kept(key, spare_tokens, now + self._ttl_s)

    def __len__(self) -> int:
        return len(self._kept)
