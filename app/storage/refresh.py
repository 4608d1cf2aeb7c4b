"""Fresh links for expired Discord attachment URLs: `POST /attachments/refresh-urls`.

Discord signs attachment links for about a day. When a result's link has expired before it was
archived, the worker asks Discord (with the task's account) to sign it again. Only the worker
calls this: the web process never talks to Discord's API. The account token goes in the
Authorization header and nowhere else; errors name the HTTP status, never the URL's signature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

TIMEOUT_S = 15.0
MAX_REPLY_BYTES = 256 * 1024

Refresher = Callable[[str], Awaitable[str | None]]


async def refresh_urls(
    api_base: str, token: str, urls: list[str], *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, str]:
    """original URL -> freshly signed URL, for those Discord re-signed."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=transport) as client:
        response = await client.post(
            f"{api_base.rstrip('/')}/attachments/refresh-urls",
            json={"attachment_urls": urls},
            headers={"Authorization": token},
        )
    if not response.is_success or len(response.content) > MAX_REPLY_BYTES:
        raise httpx.HTTPStatusError(
            f"refresh-urls answered HTTP {response.status_code}",
            request=response.request,
            response=response,
        )
    found: dict[str, str] = {}
    entries = response.json().get("refreshed_urls") if response.content else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            original, fresh = entry.get("original"), entry.get("refreshed")
            if isinstance(original, str) and isinstance(fresh, str) and fresh:
                found[original] = fresh
    return found


def refresher_for(api_base: str, token: str) -> Refresher:
    async def refresh(url: str) -> str | None:
        return (await refresh_urls(api_base, token, [url])).get(url)

    return refresh
