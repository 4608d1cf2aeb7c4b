"""`POST /attachments/refresh-urls`: Discord signs expired attachment links again.

Body `{"attachment_urls": [url, …]}` (at most 50); the answer lists `{"original", "refreshed"}`
for each URL that names a file this CDN holds, whatever its old signature or expiry. Links the
sandbox never issued are left out, as Discord does with foreign URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.accounts import AccountState
from app.sandbox.errors import form_error
from app.sandbox.rest import authed, core_of, read_payload

MAX_URLS = 50


@authed
async def refresh_urls(request: Request, state: AccountState) -> Response:
    core = core_of(request)
    urls = (await read_payload(request)).get("attachment_urls")
    if not isinstance(urls, list) or not 1 <= len(urls) <= MAX_URLS:
        raise form_error(["attachment_urls"], "BASE_TYPE_BAD_LENGTH", "Must be 1 to 50 URLs.")
    refreshed = []
    for url in urls:
        if not isinstance(url, str):
            continue
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == core.base_url and core.cdn.holds(parts.path):
            refreshed.append({"original": url, "refreshed": core.cdn.url(parts.path)})
    return JSONResponse({"refreshed_urls": refreshed})


ROUTES = [Route("/attachments/refresh-urls", refresh_urls, methods=["POST"])]
