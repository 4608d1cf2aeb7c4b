"""Typed errors for Discord's error bodies, and the pure rate-limit bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.discord import errors
from app.discord.ratelimit import RateLimiter, route_key


@pytest.mark.parametrize(
    ("status", "key", "cls", "local"),
    [
        pytest.param(400, "400_invalid_form_body", errors.InvalidFormBody, True, id="400"),
        pytest.param(401, "401_unauthorized", errors.Unauthorized, False, id="401"),
        pytest.param(403, "403_missing_access", errors.MissingAccess, False, id="403"),
        pytest.param(404, "404_unknown_message", errors.UnknownMessage, True, id="404"),
    ],
)
def test_error_bodies_from_fixture(
    spec_fixture: Callable[..., Any], status: int, key: str, cls: type, local: bool
) -> None:
    body = spec_fixture("rate-limit-429.response.json", "other_error_bodies", key)
    error = errors.error_from_response(status, body)
    assert type(error) is cls
    assert isinstance(error, errors.DiscordLocalError) is local
    assert isinstance(error, errors.DiscordRemoteError) is not local
    assert error.status == status and error.code == body["code"]
    assert body["message"] in str(error)


def test_errors_refusing_the_account() -> None:
    """401 and 403 are the classes the worker's account-failure policy disables an account on."""
    unauthorized = errors.error_from_response(401, {"message": "401: Unauthorized", "code": 0})
    assert isinstance(unauthorized, errors.Unauthorized)
    forbidden = errors.error_from_response(403, {"message": "x", "code": 50013})
    assert isinstance(forbidden, errors.Forbidden)
    assert isinstance(
        errors.error_from_response(404, {"message": "x", "code": 10003}), errors.UnknownChannel
    )


def test_429_from_fixture(spec_fixture: Callable[..., Any]) -> None:
    fixture = spec_fixture("rate-limit-429.response.json")
    error = errors.error_from_response(429, fixture["body"], fixture["headers"])
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == pytest.approx(2.345)
    assert error.is_global is False
    glob = errors.error_from_response(429, "", {"Retry-After": "3", "X-RateLimit-Global": "true"})
    assert isinstance(glob, errors.RateLimited) and glob.is_global and glob.retry_after == 3.0


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        pytest.param(500, "", errors.ServerError, id="500-empty"),
        pytest.param(502, "<html>bad gateway</html>", errors.ServerError, id="502-html"),
        pytest.param(400, {"message": "x", "code": 50001}, errors.BadRequest, id="400-odd-code"),
        pytest.param(418, None, errors.BadRequest, id="418"),
        pytest.param(200, None, errors.UnexpectedResponse, id="200"),
    ],
)
def test_error_from_odd_responses(status: int, body: Any, cls: type) -> None:
    assert type(errors.error_from_response(status, body)) is cls


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        pytest.param("post", "/interactions", "POST /interactions", id="interactions"),
        pytest.param(
            "GET", "/channels/120000/messages?limit=5", "GET /channels/120000/messages", id="query"
        ),
        pytest.param(
            "PATCH",
            "channels/1200000/messages/1300000",
            "PATCH /channels/1200000/messages/{id}",
            id="minor-id",
        ),
        pytest.param(
            "GET",
            "/guilds/1200000/application-command-index",
            "GET /guilds/1200000/application-command-index",
            id="guild",
        ),
    ],
)
def test_route_key(method: str, path: str, key: str) -> None:
    assert route_key(method, path) == key


def test_rate_limiter_buckets(spec_fixture: Callable[..., Any]) -> None:
    headers = spec_fixture("rate-limit-429.response.json", "headers")
    limiter = RateLimiter()
    route = "POST /interactions"
    assert limiter.delay(route, 0) == 0
    limiter.update(route, {k.lower(): v for k, v in headers.items()}, 100.0)
    assert limiter.delay(route, 100.0) == pytest.approx(2.345)
    # another route mapped to the same bucket shares the wait
    limiter.update("POST /other", {"X-RateLimit-Bucket": headers["X-RateLimit-Bucket"]}, 100.0)
    assert limiter.delay("POST /other", 101.0) == pytest.approx(1.345)
    assert limiter.delay("GET /unrelated", 100.0) == 0
    assert limiter.delay(route, 103.0) == 0


def test_rate_limiter_429_route_and_global() -> None:
    limiter = RateLimiter()
    assert limiter.on_429("POST /interactions", 1.5, False, 10.0) == pytest.approx(1.5)
    assert limiter.delay("GET /x", 10.0) == 0
    assert limiter.on_429("GET /x", 4.0, True, 10.0) == pytest.approx(4.0)
    assert limiter.delay("POST /anything", 11.0) == pytest.approx(3.0)
