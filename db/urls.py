"""Database URL forms: what users and PaaS hosts give, and what each driver wants.

Accepted: `postgres://…` (Heroku and friends), `postgresql://…`, `postgresql+asyncpg://…`, and the
unix-socket form `postgresql://user:@/db?host=/path/to/socket-dir` the embedded server hands out.
libpq's `sslmode` is translated to asyncpg's `ssl`, since PaaS URLs carry it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SCHEMES = ("postgres", "postgresql", "postgresql+asyncpg")


def _split(url: str) -> tuple[str, str, str, list[tuple[str, str]]]:
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"unsupported scheme {parts.scheme!r}: use postgres:// or postgresql://")
    return parts.netloc, parts.path, parts.fragment, parse_qsl(parts.query, keep_blank_values=True)


def sqlalchemy_url(url: str) -> str:
    """The URL for SQLAlchemy's asyncpg dialect."""
    netloc, path, fragment, query = _split(url)
    query = [("ssl", value) if key == "sslmode" else (key, value) for key, value in query]
    return urlunsplit(("postgresql+asyncpg", netloc, path, urlencode(query), fragment))


def asyncpg_dsn(url: str) -> str:
    """The DSN for a raw asyncpg connection (LISTEN/NOTIFY), which reads libpq's forms itself."""
    netloc, path, fragment, query = _split(url)
    return urlunsplit(("postgresql", netloc, path, urlencode(query), fragment))


def with_database(url: str, database: str) -> str:
    """The same server, another database name (tests clone a template database per test)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def redacted(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    creds, host = parts.netloc.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    masked = f"{user}:***@{host}" if ":" in creds and creds.split(":", 1)[1] else parts.netloc
    return urlunsplit((parts.scheme, masked, parts.path, parts.query, parts.fragment))
