"""A web process's memory of keys it just looked up (app/api/key_cache.py)."""

from __future__ import annotations

from app.api.key_cache import KeyCache
from app.domain.keys import ApiKey

KEY = ApiKey(id=1, name="shop")


def test_a_key_is_kept_for_its_time_only() -> None:
    cache = KeyCache(ttl_s=1.0)
    assert cache.take("h", now=0.0) is None
    cache.keep("h", KEY, None, now=0.0)
    assert cache.take("h", now=0.5) == KEY and cache.take("h", now=0.99) == KEY
    assert cache.take("h", now=1.0) is None and len(cache) == 0


def test_a_rate_limited_key_spends_the_tokens_its_lookup_took_then_asks_again() -> None:
    cache = KeyCache(ttl_s=1.0)
    cache.keep("h", KEY, 2, now=0.0)  # the lookup took 3: this request's and 2 more
    assert cache.take("h", now=0.1) == KEY and cache.take("h", now=0.2) == KEY
    assert cache.take("h", now=0.3) is None  # out of tokens: look it up (and take more)
    cache.keep("h", KEY, 0, now=0.3)
    assert cache.take("h", now=0.4) is None


def test_a_flood_of_distinct_keys_is_not_kept_past_the_bound() -> None:
    cache = KeyCache(ttl_s=1.0, max_keys=2)
    cache.keep("a", KEY, None, now=0.0)
    cache.keep("b", KEY, None, now=0.0)
    cache.keep("c", KEY, None, now=0.5)  # full of live keys: not kept
    assert cache.take("c", now=0.6) is None and len(cache) == 2
    cache.keep("c", KEY, None, now=1.5)  # the others expired: room again
    assert cache.take("c", now=1.6) == KEY and len(cache) == 1
