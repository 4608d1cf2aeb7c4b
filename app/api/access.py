"""Who may read every task: the operator's secrets, and what an exposed, open server warns.

Reads that span clients (the dashboard, `GET /events`, the deliveries API) are protected as soon
as any secret is configured: the admin secret or any API secret (the shared one or a dialect's).
Only a server with no secret at all is open, and `mjrelay web` says so loudly when it listens
beyond loopback.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request

from app.api.auth import presented_secret
from app.api.origin import fallback_netloc
from app.config import Settings


def operator_secrets(settings: Settings) -> list[str]:
    """Secrets that unlock cross-client reads: the admin secret and every API secret."""
    return [s for s in (settings.admin_secret, *settings.api_secrets()) if s]


def admin_secrets(settings: Settings) -> list[str]:
    """The secrets of account administration (the dashboard's sign-in, the admin API): the admin
    secret, else every API secret. None configured: open, like the rest of such a server."""
    if settings.admin_secret:
        return [settings.admin_secret]
    return settings.api_secrets()


def presents_admin_secret(request: Request, settings: Settings) -> bool:
    """True when no admin secret applies, or the request carries one in a header."""
    expected = admin_secrets(settings)
    presented = presented_secret(request)
    return not expected or any(secret_matches(presented, s) for s in expected)


def is_protected(settings: Settings) -> bool:
    return bool(operator_secrets(settings))


def secret_matches(presented: str | None, expected: str | None) -> bool:
    """Constant-time comparison (bytes, so any characters compare without an error)."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def presents_operator_secret(request: Request, settings: Settings) -> bool:
    presented = presented_secret(request)
    return any(secret_matches(presented, s) for s in operator_secrets(settings))


def anonymous_on_protected(request: Request, settings: Settings, dialect: str) -> bool:
    """A client of a dialect whose check is off (`MJRELAY_<DIALECT>_API_SECRET=`) on a server
    that has secrets, sending none of them: it may read only tasks submitted the same way."""
    if settings.api_secret_for(dialect) or not is_protected(settings):
        return False
    return not presents_operator_secret(request, settings)


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warnings(settings: Settings, host: str) -> list[str]:
    """What an operator must hear at start when the web process listens beyond loopback."""
    if is_loopback(host):
        return []
    found = []
    if not is_protected(settings):
        found.append(
            f"NO SECRET IS SET and the web API listens on {host}: anyone who can reach this port"
            " can submit tasks, read every task and use the dashboard. Set MJRELAY_API_SECRET"
            " (and MJRELAY_ADMIN_SECRET for the dashboard)."
        )
    if not settings.cdn_host and not settings.allowed_hosts:
        found.append(
            "Result URLs will point to"
            f" http://{fallback_netloc(settings)}: the Host header of requests is not trusted."
            " Set MJRELAY_CDN_HOST to the public URL clients use (https://relay.example.com),"
            " or MJRELAY_ALLOWED_HOSTS to the host names they use."
        )
    return found
