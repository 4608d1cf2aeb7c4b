"""The dashboard's web surface: any secret protects it, sign-out is server-side, the login is
rate limited in Postgres, responses carry hardening headers, cookies are Secure behind TLS."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from app.config import Settings
from app.dashboard import auth, login
from app.web import create_app
from tests.integration.dashboard.helpers import serve_app

SECRET = "the-admin-secret-42"


@asynccontextmanager
async def _client(
    database_url: str, client_host: str = "127.0.0.1", **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole web app (one "process") on this test's database, seen from `client_host`."""
    app = create_app(Settings(**settings), database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", follow_redirects=False
        ) as client:
            yield client


async def _sign_in(client: httpx.AsyncClient, secret: str) -> httpx.Response:
    return await client.post("/dashboard/login", data={"secret": secret, "next": "/dashboard"})


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"novicezk_api_secret": "nz-secret-1"}, id="novicezk-only"),
        pytest.param({"discordxy_api_secret": "dx-secret-1"}, id="discordxy-only"),
        pytest.param({"webman_api_secret": "wm-secret-1"}, id="webman-only"),
        pytest.param({"api_secret": "api-secret-1", "novicezk_api_secret": ""}, id="one-off"),
    ],
)
async def test_any_one_api_secret_closes_dashboard_events_and_deliveries(
    database_url: str, settings: dict[str, str]
) -> None:
    secret = next(v for v in settings.values() if v)
    async with _client(database_url, **settings) as client:
        assert (await client.get("/dashboard")).status_code == 303
        assert (await client.get("/dashboard/tasks/1/card")).status_code == 401
        assert (await client.get("/dashboard/accounts/table")).status_code == 401
        assert (await client.get("/events")).status_code == 401
        assert (await client.get("/api/tasks/1/deliveries")).status_code == 401
        assert (await client.post("/api/deliveries/1/redeliver")).status_code == 401
        # The secret itself opens them.
        header = {"mj-api-secret": secret}
        assert (await client.get("/api/tasks/1/deliveries", headers=header)).status_code == 404
        assert (await _sign_in(client, secret)).status_code == 303
        assert (await client.get("/dashboard")).status_code == 200


async def test_deliveries_api_takes_the_admin_secret_too(database_url: str) -> None:
    async with _client(database_url, admin_secret=SECRET) as client:
        assert (await client.get("/api/tasks/1/deliveries")).status_code == 401
        reply = await client.get("/api/tasks/1/deliveries", headers={"mj-api-secret": SECRET})
    assert reply.status_code == 404


async def test_sign_out_revokes_the_session_in_every_web_process(database_url: str) -> None:
    async with (
        _client(database_url, admin_secret=SECRET) as first,
        _client(database_url, admin_secret=SECRET) as second,
    ):
        assert (await _sign_in(first, SECRET)).status_code == 303
        old_cookie = first.cookies[auth.COOKIE]
        second.cookies.set(auth.COOKIE, old_cookie)
        assert (await second.get("/dashboard")).status_code == 200
        assert (await first.post("/dashboard/logout")).status_code == 303
        # The old cookie, replayed anywhere after sign-out, is refused.
        first.cookies.clear()
        first.cookies.set(auth.COOKIE, old_cookie)
        assert (await first.get("/dashboard")).status_code == 303
        assert (await second.get("/dashboard")).status_code == 303
        assert (await second.get("/dashboard/accounts/table")).status_code == 401
        assert (await second.get("/events", headers={"cookie": ""})).status_code == 401
        refused = await second.post("/dashboard/submit", data={"kind": "imagine", "prompt": "x"})
        assert refused.status_code == 401


async def test_login_is_rate_limited_per_client_across_processes(database_url: str) -> None:
    async with (
        _client(database_url, "10.0.0.7", admin_secret=SECRET) as first,
        _client(database_url, "10.0.0.7", admin_secret=SECRET) as second,
        _client(database_url, "10.0.0.8", admin_secret=SECRET) as neighbour,
    ):
        for attempt in range(login.LOGIN_MAX_FAILURES):
            process = first if attempt % 2 else second
            assert (await _sign_in(process, f"guess-{attempt}")).status_code == 401
        # Now even the right secret is not checked from that address, in either process.
        limited = await _sign_in(first, SECRET)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        assert auth.COOKIE not in limited.cookies
        assert (await _sign_in(second, SECRET)).status_code == 429
        # Another address is not locked out by it.
        assert (await _sign_in(neighbour, SECRET)).status_code == 303


async def test_a_successful_sign_in_clears_the_failures(database_url: str) -> None:
    async with _client(database_url, "10.0.0.9", admin_secret=SECRET) as client:
        for _ in range(login.LOGIN_MAX_FAILURES - 1):
            assert (await _sign_in(client, "wrong")).status_code == 401
        assert (await _sign_in(client, SECRET)).status_code == 303
        client.cookies.clear()
        for _ in range(login.LOGIN_MAX_FAILURES - 1):
            assert (await _sign_in(client, "wrong")).status_code == 401
        assert (await _sign_in(client, SECRET)).status_code == 303


@pytest.mark.parametrize(
    "path", ["/dashboard", "/dashboard/login", "/dashboard/accounts", "/dashboard/tasks/nope"]
)
async def test_dashboard_responses_carry_hardening_headers(database_url: str, path: str) -> None:
    async with _client(database_url, admin_secret=SECRET) as client:
        anonymous = await client.get(path)
        assert (await _sign_in(client, SECRET)).status_code == 303
        signed_in = await client.get(path)
    for reply in (anonymous, signed_in):
        csp = reply.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "default-src 'self'" in csp
        assert reply.headers["x-frame-options"] == "DENY"
        assert reply.headers["x-content-type-options"] == "nosniff"


async def test_api_responses_are_nosniff(database_url: str) -> None:
    async with _client(database_url) as client:
        reply = await client.get("/healthz")
    assert reply.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("proto", "secure"), [("https", True), (None, False)])
async def test_session_cookie_is_secure_behind_a_tls_proxy(
    database_url: str, proto: str | None, secure: bool
) -> None:
    """uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (MJRELAY_FORWARDED_ALLOW_IPS widens it)."""
    app = create_app(Settings(admin_secret=SECRET), database_url)
    headers = {"x-forwarded-proto": proto} if proto else {}
    async with serve_app(app) as base, httpx.AsyncClient(base_url=base, trust_env=False) as client:
        reply = await client.post(
            "/dashboard/login", data={"secret": SECRET, "next": "/dashboard"}, headers=headers
        )
    assert reply.status_code == 303
    cookie = reply.headers["set-cookie"]
    assert ("; secure" in cookie.lower()) is secure


async def test_cross_site_sign_in_posts_are_refused_and_not_counted(database_url: str) -> None:
    """Another site cannot lock the admin out by making their browser post wrong secrets."""
    cross_site = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    async with _client(database_url, "10.0.0.10", admin_secret=SECRET) as client:
        for _ in range(login.LOGIN_MAX_FAILURES + 2):
            reply = await client.post(
                "/dashboard/login", data={"secret": SECRET, "next": "/"}, headers=cross_site
            )
            assert reply.status_code == 403 and auth.COOKIE not in reply.cookies
        assert (await _sign_in(client, SECRET)).status_code == 303


def _dashboard_posts(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    """Every POST route under /dashboard, path parameters filled with a plausible value."""
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from _dashboard_posts(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and "POST" in (route.methods or ()):
            path = prefix + route.path
            if path.startswith("/dashboard/"):
                yield re.sub(r"\{verb(:str)?\}", "disable", re.sub(r"\{\w+_id\}", "1", path))


async def test_every_dashboard_form_post_refuses_a_cross_site_post(database_url: str) -> None:
    """CSRF: a signed-in admin's browser, made to post by another site, changes nothing; each
    dashboard POST (sign-out included: the session stays alive) answers 403."""
    app = create_app(Settings(admin_secret=SECRET), database_url)
    posts = sorted(set(_dashboard_posts(list(app.routes))))
    assert {"/dashboard/logout", "/dashboard/submit", "/dashboard/tasks/1/press"} <= set(posts)
    cross_site = [
        {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example"},  # an older browser: no Sec-Fetch-Site
        {"sec-fetch-site": "same-site"},  # a sibling subdomain
    ]
    async with _client(database_url, admin_secret=SECRET) as client:
        assert (await _sign_in(client, SECRET)).status_code == 303
        for path in posts:
            for headers in cross_site:
                reply = await client.post(path, data={"kind": "imagine"}, headers=headers)
                assert reply.status_code == 403, (path, headers, reply.status_code)
        # Nothing was signed out: the session still opens the dashboard, and a same-origin
        # sign-out works.
        assert (await client.get("/dashboard")).status_code == 200
        assert (await client.post("/dashboard/logout")).status_code == 303
        assert (await client.get("/dashboard")).status_code == 303
