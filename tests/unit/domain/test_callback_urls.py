"""The shared callback URL check (app/domain/callback_urls.py): refuse only what can never work,
and refuse exactly what the sender's HTTP client (httpx) cannot parse."""

from __future__ import annotations

import logging

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.callbacks.policy import Outcome
from app.callbacks.sender import send_attempt, url_origin
from app.domain.callback_urls import MAX_URL_LENGTH, callback_url_problem, host_problem
from tests.hostile import PROPERTY_SETTINGS


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


# The check as it was written on httpx.URL, before it moved into the domain: the oracle the pure
# parser must agree with, message for message (the host rule itself is shared).
def _as_httpx_reads_it(url: str) -> str | None:
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url):
        return "the URL contains white space"
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()
        parsed.host  # noqa: B018 (decodes IDNA labels)
        port = parsed.port
    except Exception as exc:
        return f"invalid URL: {exc}"
    if parsed.scheme not in ("http", "https"):
        return f"unsupported URL scheme {parsed.scheme!r}: use http or https"
    problem = host_problem(host)
    if problem is not None:
        return problem
    if port is not None and not 1 <= port <= 65535:
        return f"port {port} is out of range"
    return None


# The pieces where URL parsers differ: schemes and separators, user info, every kind of host
# (names, IDNA, A-labels, IPv4-like numbers, IPv6 literals with zones, brackets, escapes), ports
# (zero, huge, signed, non-ASCII digits) and paths. Every combination is checked.
PREFIXES = [
    "http://",
    "HTTPS://",
    "ftp://",
    "ws://",
    "//",
    "",
    "x:",
    "::",
    ":////",
    "http:",
    "http:///",
    "https://u:p@",
    "http://a@b@",
    "http://:@",
    "http://%41@",
    "http://ü@",
]
HOSTS = [
    "example.com",
    "EXAMPLE.com.",
    "a_b",
    "-a",
    "a-",
    "a..b",
    "",
    "localhost",
    "例え.jp",
    "ÄÖ.de",
    "xn--r8jz45g.jp",
    "xn--a",
    "xn--zz.com",
    "a.xn--a",
    "XN--R8JZ45G",
    "1.2.3.4",
    "999.1.1.1",
    "01.2.3.4",
    "1.2.3",
    "2130706433",
    "[::1]",
    "[::FFFF:1.2.3.4]",
    "[fe80::1%25eth0]",
    "[fe80::1%eth0]",
    "[::1%é]",
    "[zz]",
    "[::1",
    "::1",
    "[::1]x",
    "a%41",
    "%zz",
    "a<b",
    "a|b",
    "a\\b",
    "a{b}",
    "a'b",
    "a" * 64 + ".com",
    ("a" * 60 + ".") * 5 + "com",
    "ß.de",
    "☃.net",
    "a\u200db",
    "a\x00b",
    "a\x7fb",
]
PORTS = ["", ":", ":80", ":0", ":65535", ":65536", ":-1", ":+8", ":8_0", ":\u0663", ":x", "::80"]
PATHS = ["", "/", "//x", "?q=1", "/%zz"]


def test_the_check_refuses_exactly_what_httpx_cannot_use() -> None:
    urls = (
        f"{prefix}{host}{port}{path}"
        for prefix in PREFIXES
        for host in HOSTS
        for port in PORTS
        for path in PATHS
    )
    differ = [url for url in urls if callback_url_problem(url) != _as_httpx_reads_it(url)]
    assert differ == [], [(u, callback_url_problem(u), _as_httpx_reads_it(u)) for u in differ[:5]]


@settings(PROPERTY_SETTINGS, max_examples=2000)
@given(st.one_of(st.text(max_size=40), st.builds("http://{}".format, st.text(max_size=20))))
def test_any_text_is_checked_as_httpx_reads_it(url: str) -> None:
    assert callback_url_problem(url) == _as_httpx_reads_it(url)
