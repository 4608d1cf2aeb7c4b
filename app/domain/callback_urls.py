"""Which callback URLs can ever be attempted: one pure check shared by submit and the sender.

The dialects refuse a notify URL with this check at submit, and the callback sender runs the same
check before each attempt. What it refuses can never work, whatever the network does:
unparsable text, a scheme other than http(s), no host, a host that is neither an IP address nor
a DNS name (e.g. `xn--a`, an invalid IDNA label), or a port outside 1–65535. Whether the host
may be reached (the SSRF guard, `MJRELAY_CALLBACK_ALLOWLIST`) is decided when dialling, not here.

"Unparsable" means what the sender's HTTP client (httpx) cannot parse: `_parse` follows the
rules of httpx's URL parser (RFC 3986 split, IPv4/IPv6 literals, IDNA hosts, the port), with
`idna` as httpx uses it, so the domain stays free of the HTTP client. A URL accepted here always
parses there; tests/unit/domain/test_callback_urls.py holds the two side by side.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

import idna

MAX_URL_LENGTH = 4096
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")

# httpx's URL grammar (httpx/_urlparse.py): the regexes always match, components may be empty.
_URL = re.compile(
    r"(?:(?P<scheme>([a-zA-Z][a-zA-Z0-9+.-]*)?):)?"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
)
_AUTHORITY = re.compile(r"(?:(?P<userinfo>.*)@)?(?P<host>(\[.*\]|[^:@]*)):?(?P<port>.*)?")
_IPV4_STYLE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")
_IPV6_STYLE = re.compile(r"^\[.*\]$")
_PERCENT_ESCAPE = re.compile("%[A-Fa-f0-9]{2}")
# A host name keeps these as they are; every other character but an escape is percent-encoded.
_HOST_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    + "!$&'()*+,;="
    + '"`{}%|\\'
)


class _Parsed(NamedTuple):
    scheme: str
    host: str  # lower case, IDNA-encoded, IPv6 without brackets
    port: int | None


def callback_url_problem(url: str) -> str | None:
    """Why `url` can never be a callback target, or None when it can be attempted."""
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url):
        return "the URL contains white space"
    try:
        parsed = _parse(url)
    except Exception as exc:  # ValueError (ours), idna.IDNAError, UnicodeError …
        return f"invalid URL: {exc}"
    if parsed.scheme not in ("http", "https"):
        return f"unsupported URL scheme {parsed.scheme!r}: use http or https"
    problem = host_problem(parsed.host)
    if problem is not None:
        return problem
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        return f"port {parsed.port} is out of range"
    return None


def _parse(url: str) -> _Parsed:
    """Scheme, host and port as httpx reads them; raises where httpx raises."""
    for position, char in enumerate(url):
        if char.isascii() and not char.isprintable():
            raise ValueError(
                f"Invalid non-printable ASCII character in URL, {char!r} at position {position}."
            )
    parts = _URL.match(url)
    assert parts is not None  # every group is optional
    scheme = (parts["scheme"] or "").lower()
    authority = _AUTHORITY.match(parts["authority"] or "")
    assert authority is not None
    host = _encode_host(authority["host"] or "")
    port = _port(authority["port"])
    has_authority = bool(authority["userinfo"]) or bool(host) or port is not None
    _check_path(parts["path"] or "", has_scheme=bool(scheme), has_authority=has_authority)
    ascii_host = host.encode("ascii").decode("ascii").lower()
    if host.startswith("xn--"):
        idna.decode(host)  # an invalid A-label (e.g. `xn--a`) is refused as httpx refuses it
    return _Parsed(scheme, ascii_host, port)


def _encode_host(host: str) -> str:
    if not host:
        return ""
    if _IPV4_STYLE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ipaddress.AddressValueError:
            raise ValueError(f"Invalid IPv4 address: {host!r}") from None
        return host
    if _IPV6_STYLE.match(host):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ipaddress.AddressValueError:
            raise ValueError(f"Invalid IPv6 address: {host!r}") from None
        return host[1:-1]
    if host.isascii():
        return _percent_encoded(host.lower())
    try:
        return idna.encode(host.lower()).decode("ascii")
    except idna.IDNAError:
        raise ValueError(f"Invalid IDNA hostname: {host!r}") from None


def _percent_encoded(text: str) -> str:
    """`text` with each unsafe character as %XX, leaving existing %XX escapes as they are."""
    out, start = [], 0
    for escape in _PERCENT_ESCAPE.finditer(text):
        out.append(_quote(text[start : escape.start()]))
        out.append(escape.group(0))
        start = escape.end()
    out.append(_quote(text[start:]))
    return "".join(out)


def _quote(text: str) -> str:
    return "".join(c if c in _HOST_SAFE else f"%{ord(c):02X}" for c in text)


def _port(port: str | None) -> int | None:
    """The port number (httpx also drops the scheme's default port; no check here tells the
    difference, as a default port is always in range and comes with a scheme)."""
    if port is None or port == "":
        return None
    try:
        return int(port)
    except ValueError:
        raise ValueError(f"Invalid port: {port!r}") from None


def _check_path(path: str, *, has_scheme: bool, has_authority: bool) -> None:
    if has_authority and path and not path.startswith("/"):
        raise ValueError("For absolute URLs, path must be empty or begin with '/'")
    if not has_scheme and not has_authority:
        if path.startswith("//"):
            raise ValueError("Relative URLs cannot have a path starting with '//'")
        if path.startswith(":"):
            raise ValueError("Relative URLs cannot have a path starting with ':'")


def host_problem(host: str) -> str | None:
    """Why a parsed host (lower case, IDNA-encoded) is neither an IP address nor a DNS name."""
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
