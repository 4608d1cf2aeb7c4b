"""Odd path parameters (NUL, non-ASCII, emoji, very long, invalid percent-encoding) on every
route that has one get a 4xx in the route's own dialect, never a 500 or an internal error."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from starlette.routing import Mount, Route

from app.config import Settings
from app.web import create_app

ODD = {
    "nul": "%00",
    "nul-inside": "1739%00123",
    "non-ascii": quote("tâche-é💥"),
    "long": "9" * 3000,
    "bad-percent": "%ff%fe",
    "control": "%01%1ba%2Fb",
}
SECRET = "odd-params-secret"


def _templates() -> list[tuple[str, str]]:
    app = create_app(Settings(), "postgresql://u@/db?host=/nowhere")
    found: list[tuple[str, str]] = []

    def walk(routes: list, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes or [], prefix + route.path)
            elif isinstance(route, Route) and "{" in route.path:
                method = "GET" if "GET" in (route.methods or set()) else "POST"
                found.append((method, prefix + route.path))

    walk(app.routes)
    return found


TEMPLATES = _templates()


def _urls(template: str, value: str) -> list[str]:
    """`template` with each parameter in turn set to `value` (the others plausible)."""
    names = re.findall(r"{([^}:]+)(?::[^}]+)?}", template)
    plausible = {"method": "fetch", "verb": "enable", "name": "image.png"}
    urls = []
    for odd in names:
        url = template
        for name in names:
            url = re.sub(
                r"{" + name + r"(?::[^}]+)?}",
                value if name == odd else plausible.get(name, "1234567890123456"),
                url,
            )
        urls.append(url)
    return urls


INTERNAL_MARKERS = ("internal error", "系统异常", "Traceback")


@pytest.mark.parametrize("settings", [{}, {"api_secret": SECRET}], ids=["open", "secret"])
async def test_odd_path_parameters_get_a_4xx(database_url: str, settings: dict) -> None:
    app = create_app(Settings(**settings), database_url)
    headers = {"mj-api-secret": SECRET, "origin": "http://test"}
    failures = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            if settings:
                signed = await client.post("/dashboard/login", data={"secret": SECRET})
                assert signed.status_code == 303
            for method, template in TEMPLATES:
                for label, value in ODD.items():
                    for url in _urls(template, value):
                        reply = await client.request(method, url, headers=headers)
                        text = reply.text
                        internal = any(marker in text for marker in INTERNAL_MARKERS)
                        if reply.status_code >= 500 or internal or not _refused(reply):
                            failures.append(f"{method} {url[:80]} [{label}] -> {reply.status_code}")
    assert failures == []


def _refused(reply: httpx.Response) -> bool:
    """A 4xx, or webman's own envelope for one (webman answers HTTP 200 with `code`)."""
    if 400 <= reply.status_code < 500:
        return True
    if reply.status_code == 200 and reply.headers.get("content-type", "").startswith("app"):
        code = reply.json().get("code")
        return isinstance(code, int) and 400 <= code < 500
    return False


QUERY_AND_BODY_IDS = [
    ("GET", "/mj/status?id=%00", None),
    ("GET", "/task/fetch?taskId=%00", None),
    ("POST", "/task/fetch", {"taskId": "1\x00"}),
    ("GET", "/events?task_id=%00", None),
    ("GET", "/dashboard?status=%00&account=%00&dialect=%C3%A9", None),
    ("POST", "/mj/submit/status", {"id": "\x00"}),
    ("POST", "/mj/task/list-by-condition", {"ids": ["\x00", "é", "9" * 3000]}),
    ("POST", "/mj/submit/action", {"taskId": "\x00", "customId": "MJ::JOB::upsample::1::x"}),
    ("POST", "/mj/change", {"taskId": "\x00", "action": "U1"}),
    ("POST", "/image/change", {"taskId": "\x00", "action": "U1"}),
]


@pytest.mark.parametrize(("method", "url", "body"), QUERY_AND_BODY_IDS)
async def test_odd_ids_in_queries_and_bodies_are_refused(
    database_url: str, method: str, url: str, body: dict | None
) -> None:
    app = create_app(Settings(), database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            reply = await client.request(method, url, json=body)
    assert reply.status_code < 500, reply.text
    assert not any(marker in reply.text for marker in INTERNAL_MARKERS), reply.text


@pytest.mark.parametrize(
    "url", ["/mj/task/list", "/mj/status?taskId=1", "/task/fetch?taskId=1", "/events", "/dashboard"]
)
async def test_non_ascii_secrets_and_cookies_are_refused_not_crashed(
    database_url: str, url: str
) -> None:
    app = create_app(Settings(api_secret=SECRET), database_url)
    odd = "tâche-💥".encode()
    headers = [(b"mj-api-secret", odd), (b"authorization", b"Bearer " + odd)]
    headers.append((b"cookie", b"mjrelay_session=" + odd + b"." + odd))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            reply = await client.get(url, headers=headers)
    assert reply.status_code < 500
    assert _refused(reply) or reply.status_code == 303, (reply.status_code, reply.text)
