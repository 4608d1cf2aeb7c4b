"""The shared callback URL check (app/callbacks/urls.py): refuse only what can never work."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.callbacks.policy import Outcome
from app.callbacks.sender import send_attempt
from app.callbacks.urls import callback_url_problem, url_origin


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://xn--a/", "invalid URL"),
        ("http://xn--zz.com/", "invalid URL"),
        ("ftp://x", "unsupported URL scheme 'ftp'"),
        ("javascript:alert(1)", "unsupported URL scheme"),
        ("x", "unsupported URL scheme ''"),
        ("http:///x", "no host"),
        ("http://h:99999/", "port 99999"),
        ("http://h:0/", "port 0"),
        ("http://a b/", "white space"),
        ("http://h/\x00", "invalid URL"),
        ("http://-a-.com/", "not a valid host name"),
        ("http://a..b/", "not a valid host name"),
        ("http://%41/", "not a valid host name"),
        ("http://999.1.1.1/", "invalid URL"),
        ("http://" + "a" * 64 + ".com/", "not a valid host name"),
        ("http://h/" + "x" * 5000, "longer than"),
    ],
)
def test_refused(url: str, reason: str) -> None:
    problem = callback_url_problem(url)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example/mj",
        "HTTPS://Example.COM/a?b=c#d",
        "http://127.0.0.1:8080/x",
        "http://[::1]:80/",
        "http://localhost/",
        "http://例え.jp/",
        "http://xn--r8jz45g.jp/",
        "http://user:pw@hooks.example/",
        "https://a_b.example./",
        "https://h:/x",
        "http://2130706433/",  # the resolver reads it as 127.0.0.1
    ],
)
def test_accepted(url: str) -> None:
    assert callback_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://hooks.example.com/cb?token=s3cret", "https://hooks.example.com"),
        ("http://10.0.0.5:8080/hooks/s3cret#frag", "http://10.0.0.5:8080"),
        ("http://user:s3cret@example.com/", "http://example.com"),
        ("http://[::1]:9000/x?s3cret", "http://::1:9000"),
        ("http://xn--a/s3cret", "(an invalid URL)"),
    ],
)
def test_url_origin_keeps_only_scheme_host_and_port(url: str, origin: str) -> None:
    assert url_origin(url) == origin
    assert "s3cret" not in url_origin(url)


async def test_an_unexpected_failure_logs_where_the_callback_went_not_its_token(caplog) -> None:
    """A bug while sending is logged with a traceback, naming the receiver's origin only: the
    notify URL's path and query may hold the receiver's token."""

    def explode(_request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug of ours")

    url = "https://hooks.example.com:8443/hooks/PATHSECRET?token=QUERYSECRET"
    async with httpx.AsyncClient(transport=httpx.MockTransport(explode)) as client:
        with caplog.at_level(logging.ERROR, logger="app.callbacks.sender"):
            attempt = await send_attempt(client, url, b"{}", {}, timeout_s=5)
    assert attempt.outcome is Outcome.INTERNAL_ERROR
    assert "https://hooks.example.com:8443" in caplog.text
    assert "a bug of ours" in caplog.text
    assert "PATHSECRET" not in caplog.text
    assert "QUERYSECRET" not in caplog.text
