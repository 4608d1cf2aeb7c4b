"""Browser hardening headers: a strict CSP and no framing on the dashboard, `nosniff` everywhere.

Pure ASGI middleware (it leaves streamed responses such as `/events` streaming). A header the
handler already set wins, so `/files` keeps its own choices.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Images and videos of running tasks come from the bot's own links (Discord's CDN, or the
# sandbox on http), hence any http(s) source for img/media; nothing else leaves this origin.
DASHBOARD_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https: http:",
        "media-src 'self' blob: https: http:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_EVERYWHERE = [(b"x-content-type-options", b"nosniff")]
_DASHBOARD = [
    *_EVERYWHERE,
    (b"content-security-policy", DASHBOARD_CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _is_dashboard(path: str) -> bool:
    return path in ("/", "/events") or path == "/dashboard" or path.startswith("/dashboard/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _DASHBOARD if _is_dashboard(scope.get("path", "")) else _EVERYWHERE

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The raw list, not MutableHeaders: this runs on every response of the API.
                headers = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)
