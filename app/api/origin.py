"""The origin of result-file URLs: never taken from a `Host` header nobody vouched for.

Order: `MJRELAY_CDN_HOST` (the public URL) when set; else the `Host` the client sent, if it is
one of `MJRELAY_ALLOWED_HOSTS` (by default: loopback names and the address the server listens
on); else the first concrete allowed host, or this server's own loopback address. Pure: strings
in, a string out. Decisions: docs/api.md "Result files".
"""

from __future__ import annotations

from app.config import Settings

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


def split_netloc(netloc: str) -> tuple[str, str | None]:
    """`host[:port]` (IPv6 in brackets) -> (lower-case host without brackets, port or None)."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    if netloc.count(":") == 1:
        host, port = netloc.split(":")
        return host, port
    return netloc, None


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def allowed_hosts(settings: Settings) -> tuple[str, ...]:
    """The configured list, or the default: loopback and the address the server listens on."""
    if settings.allowed_hosts:
        return settings.allowed_hosts
    own = (settings.host or "").strip().lower()
    extra = () if own in WILDCARD_ADDRESSES else (own.strip("[]"),)
    return (*LOOPBACK_NAMES, *extra)


def _matches(entry: str, host: str, port: str | None) -> bool:
    if entry == "*":
        return True
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    entry_host, entry_port = split_netloc(entry)
    return entry_host == host and (entry_port is None or entry_port == port)


def host_allowed(settings: Settings, netloc: str) -> bool:
    host, port = split_netloc(netloc)
    if not host:
        return False
    return any(_matches(entry, host, port) for entry in allowed_hosts(settings))


def fallback_netloc(settings: Settings) -> str:
    """Where result URLs point when the client's `Host` is not trusted."""
    for entry in settings.allowed_hosts:
        if not entry.startswith("*"):
            return entry
    own = (settings.host or "").strip().lower().strip("[]")
    host = "127.0.0.1" if own in WILDCARD_ADDRESSES else own
    return f"{_bracketed(host)}:{settings.port}"


def public_origin(settings: Settings, scheme: str, netloc: str) -> str:
    """scheme://host[:port] for result-file URLs of a request that came as `netloc`."""
    if settings.cdn_host:
        return settings.cdn_host
    if host_allowed(settings, netloc):
        return f"{scheme}://{netloc}"
    return f"{scheme}://{fallback_netloc(settings)}"
