"""The admin secret: login form, signed session cookie, protected pages, posts and /events."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text

from app.config import Settings, load_settings
from app.dashboard import auth
from app.web import create_app
from tests.integration.api.conftest import no_writes
from tests.integration.dashboard.helpers import event_stream, serve_app

SECRET = "correct horse battery staple"


async def _sign_in(client, secret: str = SECRET, next_path: str = "/dashboard"):
    return await client.post("/dashboard/login", data={"secret": secret, "next": next_path})


async def test_without_any_secret_the_dashboard_is_open(web) -> None:
    async with web() as client:
        assert (await client.get("/dashboard")).status_code == 200
        login = await client.get("/dashboard/login")
    assert login.status_code == 303 and login.headers["location"] == "/dashboard"


async def test_pages_send_strangers_to_the_login_form(web) -> None:
    async with web(admin_secret=SECRET) as client:
        page = await client.get("/dashboard/accounts")
        fragment = await client.get("/dashboard/accounts/table")
        form = await client.get("/dashboard/login?next=/dashboard/accounts")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login?next=/dashboard/accounts"
    assert fragment.status_code == 401
    assert form.status_code == 200 and 'type="password"' in form.text
    assert 'value="/dashboard/accounts"' in form.text


async def test_posts_without_a_session_are_refused(web, engine) -> None:
    async with web(admin_secret=SECRET) as client, no_writes(engine):
        reply = await client.post("/dashboard/submit", data={"kind": "imagine", "prompt": "x"})
    assert reply.status_code == 401


async def test_wrong_secret_is_refused_and_right_one_signs_in(web, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with web(admin_secret=SECRET) as client:
        wrong = await _sign_in(client, "guess")
        assert wrong.status_code == 401 and auth.COOKIE not in wrong.cookies
        assert "That is not the secret" in wrong.text
        right = await _sign_in(client, next_path="/dashboard/accounts")
        assert right.status_code == 303
        assert right.headers["location"] == "/dashboard/accounts"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert SECRET not in cookie
        assert (await client.get("/dashboard/accounts")).status_code == 200
        assert (await client.get("/dashboard/accounts/table")).status_code == 200
        submitted = await client.post(
            "/dashboard/submit", data={"kind": "imagine", "prompt": "a lynx"}
        )
        assert submitted.status_code == 303
        out = await client.post("/dashboard/logout")
        assert out.status_code == 303
        assert (await client.get("/dashboard")).status_code == 303
    assert SECRET not in caplog.text


async def test_a_forged_or_expired_session_is_not_a_session(web, engine) -> None:
    async with web(admin_secret=SECRET) as client:
        client.cookies.set(auth.COOKIE, "99999999999.deadbeef")
        forged = await client.get("/dashboard")
        # Signed right, but no session of that id was ever started.
        client.cookies.set(auth.COOKIE, auth.cookie_value([SECRET], "never-started"))
        unknown = await client.get("/dashboard")
        client.cookies.clear()
        assert (await _sign_in(client)).status_code == 303
        good_cookie = client.cookies[auth.COOKIE]
        client.cookies.clear()
        session_id = auth.session_id_of([SECRET], good_cookie)
        assert session_id is not None
        client.cookies.set(auth.COOKIE, auth.cookie_value(["another secret"], session_id))
        other = await client.get("/dashboard")
        client.cookies.clear()
        client.cookies.set(auth.COOKIE, good_cookie)
        good = await client.get("/dashboard")
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE dashboard_sessions SET expires_at = now() - interval '1 second'")
            )
        expired = await client.get("/dashboard")
    assert forged.status_code == unknown.status_code == other.status_code == 303
    assert expired.status_code == 303
    assert good.status_code == 200


def test_session_cookies_are_signed_with_the_secrets() -> None:
    value = auth.cookie_value([SECRET], "abc123")
    assert auth.session_id_of([SECRET], value) == "abc123"
    assert auth.session_id_of(["other"], value) is None
    _session_id, signature = value.rsplit(".", 1)
    assert auth.session_id_of([SECRET], f"abc124.{signature}") is None
    for junk in ("", ".", "abc", "1.2.3", "x.y", "1" * 400 + ".ab", "é.ü", "\x00.1"):
        assert auth.session_id_of([SECRET], junk) is None


async def test_the_login_next_target_stays_on_the_dashboard(web) -> None:
    async with web(admin_secret=SECRET) as client:
        for target in ("https://evil.example/", "//evil.example", "/openapi.json", "/\\evil"):
            reply = await _sign_in(client, next_path=target)
            assert reply.headers["location"] == "/dashboard", target


async def test_the_api_secret_protects_the_dashboard_when_no_admin_secret_is_set(web) -> None:
    async with web(api_secret="api-key-123456") as client:
        assert (await client.get("/dashboard")).status_code == 303
        assert (await _sign_in(client, "api-key-123456")).status_code == 303
        assert (await client.get("/dashboard")).status_code == 200


async def test_events_need_a_session_or_a_secret_header(database_url) -> None:
    app = create_app(Settings(admin_secret=SECRET, api_secret="api-key-123456"), database_url)
    async with serve_app(app) as base:
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            refused = await client.get("/events")
            wrong = await client.get("/events", headers={"authorization": "Bearer nope"})
        assert refused.status_code == wrong.status_code == 401
        async with event_stream(base, authorization=f"Bearer {SECRET}"):
            pass
        async with event_stream(base, **{"mj-api-secret": "api-key-123456"}):
            pass
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            assert (await _sign_in(client)).status_code == 303
            cookie = f"{auth.COOKIE}={client.cookies[auth.COOKIE]}"
        async with event_stream(base, cookie=cookie):
            pass


@pytest.mark.parametrize("value", ["s3cret-value-long", ""])
def test_admin_secret_setting_and_redaction(value: str) -> None:
    settings = load_settings({"MJRELAY_ADMIN_SECRET": value})
    if value:
        assert settings.admin_secret == value
        assert value in settings.secrets()
    else:
        assert settings.admin_secret is None
