"""Every route of the web app is fuzzed: by schemathesis when /openapi.json documents it, else here.

`test_every_route_is_covered` walks the app's routing table: a route must be in the served
/openapi.json (tests/integration/api/test_openapi_fuzz.py) or in SWEPT below, so a new route
cannot slip past both. The swept ones (the dashboard's HTML pages and form posts, webman's
catch-all 404s) get every path parameter, query parameter and form field replaced in turn by
hostile strings, signed in and not, with a secret set and unset: never a 5xx, nothing logged at
ERROR or with a traceback, no secret in a response or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from app.config import Settings
from app.dashboard import auth
from app.web import create_app
from tests.hostile import ODD_STRINGS, log_problems, quote_any
from tests.integration.api.conftest import add_account, finish

SECRET = "sweep-secret-7e2a"
ACCOUNT = "acct-1"
ACCOUNT_TOKEN = "SECRET-TOKEN-xyz"  # tests/integration/api/conftest.py add_account
ALL = ("GET", "POST", "PUT", "PATCH", "DELETE")

# (method, path) -> (query parameters, form fields) of the routes /openapi.json leaves out.
SWEPT: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("GET", "/"): ((), ()),
    ("GET", "/dashboard"): (("status", "account", "dialect"), ()),
    ("GET", "/dashboard/"): (("status", "account", "dialect"), ()),
    ("GET", "/dashboard/login"): (("next",), ()),
    ("POST", "/dashboard/login"): ((), ("secret", "next")),
    ("POST", "/dashboard/submit"): ((), ("kind", "prompt", "dimensions")),
    ("GET", "/dashboard/tasks/{task_id}"): ((), ()),
    ("GET", "/dashboard/tasks/{task_id}/panel"): ((), ()),
    ("GET", "/dashboard/tasks/{task_id}/card"): ((), ()),
    ("GET", "/dashboard/thumbs/{task_id}.webp"): ((), ()),
    ("POST", "/dashboard/tasks/{task_id}/press"): ((), ("custom_id", "prompt")),
    ("POST", "/dashboard/tasks/{task_id}/cancel"): ((), ()),
    ("GET", "/dashboard/accounts"): ((), ()),
    ("GET", "/dashboard/accounts/table"): ((), ()),
    ("POST", "/dashboard/accounts/{account_id}/{verb}"): ((), ()),
    ("POST", "/dashboard/deliveries/{delivery_id}/redeliver"): ((), ("task_id",)),
    ("GET", "/dashboard/keys"): ((), ()),
    ("POST", "/dashboard/keys"): (
        (),
        ("name", "daily_limit", "total_limit", "concurrency", "rate", "expires", "accounts"),
    ),
    ("POST", "/dashboard/keys/{name}/{verb}"): ((), ()),
    **{
        (method, path): ((), ())
        for method in ALL
        for path in (
            "/image/{method}",
            "/task/{method}",
            "/webman/image/{method}",
            "/webman/task/{method}",
        )
    },
    ("POST", "/dashboard/logout"): ((), ()),  # last: it ends the signed-in pass's session
}
# Not fuzzed by either test, and why.
UNSWEPT = {
    "/openapi.json": "a constant document",
    "/events": "an endless stream: tests/integration/dashboard",
}
DEFAULTS = {
    "account_id": ACCOUNT,
    "verb": "disable",
    "delivery_id": "1",
    "method": "nothing",
    "name": "a-key",
}


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:  # a Mount of static files has no routes of its own
                yield from _routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            path = (prefix + route.path).replace(":str}", "}")
            for method in route.methods or ():
                if method != "HEAD":
                    yield method, path


def _app(secret: str | None, database_url: str = "postgresql://unused@/unused") -> Any:
    return create_app(Settings(api_secret=secret), database_url)


def test_every_route_is_covered() -> None:
    from app.api.openapi import build

    documented = {
        (method.upper(), path) for path, item in build()["paths"].items() for method in item
    }
    routes = set(_routes(list(_app(None).routes)))
    left = {
        (method, path) for method, path in routes - documented - set(SWEPT) if path not in UNSWEPT
    }
    assert left == set(), "add these routes to /openapi.json (app/api/openapi.py) or SWEPT"
    assert set(SWEPT) <= routes  # the sweep names real routes


def _requests(task_id: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, url, form) for each route: as valid, then each input replaced by a hostile one."""
    defaults = {**DEFAULTS, "task_id": task_id}
    for (method, path), (query, fields) in SWEPT.items():
        names = [part[1:-1] for part in path.replace(".", "/").split("/") if part.startswith("{")]

        def url(values: dict[str, str], args: dict[str, str], path: str = path) -> str:
            target = path.format(**{n: quote_any(v) for n, v in values.items()})
            pairs = "&".join(f"{n}={quote_any(v)}" for n, v in args.items())
            return target + (f"?{pairs}" if pairs else "")

        base = {n: defaults[n] for n in names}
        yield method, url(base, {}), {}
        for odd in ODD_STRINGS:
            for name in names:
                yield method, url({**base, name: odd}, {}), {}
            for name in query:
                yield method, url(base, {name: odd}), {}
            for name in fields:
                yield method, url(base, {}), {name: odd}


def _form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{n}={quote_any(v)}" for n, v in fields.items()).encode()


@pytest.mark.slow
@pytest.mark.parametrize("secret", [None, SECRET], ids=["no-secret", "secret"])
async def test_swept_routes_never_fail(
    database_url: str, engine, caplog: pytest.LogCaptureFixture, secret: str | None
) -> None:
    caplog.set_level(logging.INFO)
    app = _app(secret, database_url)
    failures = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await add_account(engine)
            submitted = await client.post(
                "/novicezk/mj/submit/imagine",
                json={"prompt": "cat"},
                headers={"mj-api-secret": secret} if secret else {},
            )
            task_id = submitted.json()["result"]
            await finish(engine, task_id, account=None)
            cookies = [None]
            if secret:
                login = await client.post("/dashboard/login", data={"secret": secret})
                assert login.status_code == 303, login.text
                cookies.append(client.cookies[auth.COOKIE])
            for cookie in cookies:
                for method, url, form in _requests(task_id):
                    headers = {"content-type": "application/x-www-form-urlencoded"}
                    if cookie:
                        headers["cookie"] = f"{auth.COOKIE}={cookie}"
                    client.cookies.clear()
                    response = await client.request(
                        method, url, content=_form(form), headers=headers
                    )
                    text = response.text
                    if response.status_code >= 500:
                        failures.append(f"{method} {url[:120]} {form!r:.80} {response.status_code}")
                    elif SECRET in text or ACCOUNT_TOKEN in text:
                        failures.append(f"{method} {url[:120]}: a secret in the response")
    assert not failures, "\n".join(failures)
    logged = log_problems(caplog.records, [SECRET, ACCOUNT_TOKEN])
    assert not logged, "\n".join(logged)
