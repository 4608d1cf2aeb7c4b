from __future__ import annotations

import pytest

from app.sandbox.accounts import make_accounts
from app.sandbox.cdn import Cdn, check_signature, sign_path, signed_query
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.snowflake import Snowflakes, make_snowflake, snowflake_ms, snowflake_timestamp


def test_snowflakes_are_strictly_increasing_within_one_millisecond() -> None:
    factory = Snowflakes(clock=lambda: 1_746_093_600.0)
    ids = [int(factory.next()) for _ in range(5000)]  # more than 4096: borrows the next ms
    assert ids == sorted(set(ids))
    assert snowflake_ms(ids[0]) == 1_746_093_600_000
    assert snowflake_ms(ids[-1]) == 1_746_093_600_001


def test_snowflake_timestamp_format() -> None:
    assert snowflake_timestamp(make_snowflake(1_746_093_600_000)) == (
        "2025-05-01T10:00:00.000000+00:00"
    )


def test_signed_urls_verify_and_expire() -> None:
    secret = b"k"
    query = dict(
        part.split("=") for part in signed_query(secret, "/a/b.png", 1000.0, 60).split("&") if part
    )
    assert check_signature(secret, "/a/b.png", query, 1030.0)
    assert not check_signature(secret, "/a/b.png", query, 1061.0)  # expired
    assert not check_signature(secret, "/a/c.png", query, 1030.0)  # other path
    assert not check_signature(b"other", "/a/b.png", query, 1030.0)
    assert not check_signature(secret, "/a/b.png", query | {"ex": "ffffffff"}, 1030.0)
    assert not check_signature(secret, "/a/b.png", {"ex": "zz"}, 1030.0)
    assert len(sign_path(secret, "/x", 1, 1)) == 64


def test_cdn_resolves_only_its_own_signed_urls() -> None:
    now = [1000.0]
    cdn = Cdn(b"s", clock=lambda: now[0], ttl=10)
    cdn.base_url = "http://127.0.0.1:9"
    url = cdn.put("/attachments/1/2/x.png", b"data", "image/png")
    assert url.startswith("http://127.0.0.1:9/attachments/1/2/x.png?ex=") and url.endswith("&")
    assert cdn.resolve_url(url).data == b"data"
    assert cdn.resolve_url(url.replace("127.0.0.1:9", "example.com")) is None
    now[0] += 11
    assert cdn.resolve_url(url) is None


def test_accounts_are_deterministic_per_seed() -> None:
    assert make_accounts(2, seed=7) == make_accounts(2, seed=7)
    first, second = make_accounts(2, seed=7)
    assert first.guild_id == second.guild_id and first.channel_id != second.channel_id
    assert first.token != second.token and first.token.count(".") == 2
    assert make_accounts(1, seed=8)[0].token != first.token
    assert all(a.user_id.isdigit() for a in (first, second))


def test_rate_limiter_window() -> None:
    limiter = RateLimiter(limit=2, window=1.0)
    assert [limiter.check("u", 0.0).allowed for _ in range(3)] == [True, True, False]
    denied = limiter.check("u", 0.5)
    assert denied.headers()["Retry-After"] == "1"
    assert denied.headers()["X-RateLimit-Remaining"] == "0"
    assert limiter.check("u", 1.0).allowed
    assert limiter.check("other", 0.5).allowed


@pytest.mark.parametrize("seed", [0, 1])
def test_accounts_count(seed: int) -> None:
    assert [a.name for a in make_accounts(3, seed)] == ["sandbox-1", "sandbox-2", "sandbox-3"]
