"""The shared callback URL check (app/callbacks/urls.py): refuse only what can never work."""

from __future__ import annotations

import pytest

from app.callbacks.urls import callback_url_problem


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
