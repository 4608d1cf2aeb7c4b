"""Which callback URLs can ever be attempted: one pure check shared by submit and the sender.

The dialects refuse a notify URL with this check at submit, and the sender runs the same check
before each attempt, so a URL accepted at submit always parses the way the sender parses it
(httpx.URL, IDNA included). What it refuses can never work, whatever the network does: unparsable
text, a scheme other than http(s), no host, a host that is neither an IP address nor a DNS name
(e.g. `xn--a`, an invalid IDNA label), or a port outside 1–65535. Whether the host may be
reached (the SSRF guard, `MJRELAY_CALLBACK_ALLOWLIST`) is decided when dialling, not here.
"""

from __future__ import annotations

import ipaddress
import re

import httpx

MAX_URL_LENGTH = 4096
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _host_problem(host: str) -> str | None:
    if not host:
        return "the URL has no host"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"{host!r} is not a valid host name"
    return None


def callback_url_problem(url: str) -> str | None:
    """Why `url` can never be a callback target, or None when it can be attempted."""
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url):
        return "the URL contains white space"
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()
        parsed.host  # noqa: B018 (decodes IDNA labels: an invalid A-label such as xn--a raises)
        port = parsed.port
    except Exception as exc:  # httpx raises InvalidURL, idna.IDNAError, UnicodeError …
        return f"invalid URL: {exc}"
    if parsed.scheme not in ("http", "https"):
        return f"unsupported URL scheme {parsed.scheme!r}: use http or https"
    problem = _host_problem(host)
    if problem is not None:
        return problem
    if port is not None and not 1 <= port <= 65535:
        return f"port {port} is out of range"
    return None


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a callback URL, for log lines: a notify URL may carry a token in
    its path or query string (many webhook services put one there), so logs name only where it
    points."""
    try:
        parsed = httpx.URL(url)
        port = f":{parsed.port}" if parsed.port is not None else ""
        return f"{parsed.scheme}://{parsed.host}{port}"
    except Exception:  # a URL the check refuses: say so without repeating it
        return "(an invalid URL)"
