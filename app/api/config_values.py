"""Parsers for the HTTP API's settings (used by `app.config`); pure, no web imports."""

from __future__ import annotations

from pathlib import Path

SUBMIT_DIALECTS = ("auto", "discordxy", "novicezk")
DEFAULT_IMAGE_MAX_BYTES = 10 * 1024 * 1024


def as_secret(value: str) -> str | None:
    """MJRELAY_API_SECRET: empty means no secret."""
    return value.strip() or None


def as_secret_override(value: str) -> str:
    """A per-dialect secret: set (even to an empty string, which turns auth off) wins."""
    return value.strip()


def as_words(value: str) -> tuple[str, ...]:
    """Comma-separated words or phrases."""
    return tuple(w.strip() for w in value.split(",") if w.strip())


def as_optional_path(value: str) -> Path | None:
    return Path(value.strip()).expanduser() if value.strip() else None


def as_api_prefix(value: str) -> str:
    """webman's `apiPrefix`: trimmed of spaces and slashes (`/mj/` -> `mj`)."""
    prefix = value.strip().strip("/").strip()
    if any(c.isspace() or c in "?#" for c in prefix):
        raise ValueError("must be a path segment such as mj or api/mj")
    return prefix


def as_cdn_host(value: str) -> str | None:
    """An origin such as https://img.example.com (no path, query or trailing slash)."""
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
        raise ValueError("must be an http:// or https:// origin, e.g. https://img.example.com")
    return value


def as_hosts(value: str) -> tuple[str, ...]:
    """MJRELAY_ALLOWED_HOSTS: comma-separated `host`, `host:port`, `[v6]:port`, `*.suffix`, `*`."""
    hosts = []
    for part in value.split(","):
        entry = part.strip().lower()
        if not entry:
            continue
        if "/" in entry or "@" in entry or any(c.isspace() for c in entry) or "?" in entry:
            raise ValueError(f"{entry!r} is not a host name (no scheme or path: example.com)")
        if "*" in entry and entry != "*" and not (entry.startswith("*.") and entry.count("*") == 1):
            raise ValueError(f"{entry!r}: a wildcard is * alone or *.suffix")
        hosts.append(entry)
    return tuple(hosts)


def as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def as_byte_size(value: str) -> int:
    number = int(value.strip())
    if not 1024 <= number <= 100 * 1024 * 1024:
        raise ValueError("must be between 1024 and 104857600 bytes")
    return number
