"""Client keys (app/domain/keys.py): their form, their hash, rates and names, and refusals."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.keys import ApiKey, check_name, key_hash, looks_like_key, new_key, parse_rate


def test_a_key_is_long_random_and_stored_as_its_sha256() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(k.startswith("mjr_") and len(k) >= 47 for k in keys)
    key = next(iter(keys))
    assert key_hash(key) == hashlib.sha256(key.encode()).hexdigest()
    assert looks_like_key(key) and not looks_like_key("a-shared-secret")
    assert not looks_like_key("mjr_" + "x" * 300)  # never hashed: no key is that long


@pytest.mark.parametrize(
    ("text", "per_minute"),
    [("60/min", 60), ("60", 60), ("2/s", 120), ("600/hour", 10), (" 5 / m ", 5)],
)
def test_rates(text: str, per_minute: int) -> None:
    assert parse_rate(text) == per_minute


@pytest.mark.parametrize("text", ["fast", "0/min", "30/hour", "-1", "1/day", "9999999999/s"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_names() -> None:
    assert check_name(" shop-1 ") == "shop-1"
    for bad in ("", "-x", "a b", "x" * 65, "a/b", "a\x00"):
        with pytest.raises(ValueError):
            check_name(bad)


def test_refusals() -> None:
    now = datetime.now(UTC)
    assert ApiKey(id=1, name="k").refusal("webman", now) is None
    assert ApiKey(id=1, name="k", enabled=False).refusal("webman", now) == "API key is disabled"
    old = ApiKey(id=1, name="k", expires_at=now - timedelta(seconds=1))
    assert old.refusal("webman", now) == "API key has expired"
    only = ApiKey(id=1, name="k", dialects=("novicezk",))
    assert only.refusal("novicezk", now) is None
    assert only.refusal("webman", now) == "API key is not allowed on the webman API"
    assert only.refusal_any(now) is None
