"""A notify URL that can never be attempted is refused at submit, in every dialect's envelope.

The dialects and the callback sender share one check (app/domain/callback_urls.py), so what is
accepted here is a URL the sender can always attempt (issue 13 part 1).
"""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import add_account, body, no_writes

NEVER_WORKABLE = [
    "http://xn--a/",  # invalid IDNA A-label: httpx.URL(...).host raises idna.IDNAError
    "http://xn--zz.example/",
    "ftp://hooks.example/x",
    "http:///no-host",
    "http://hooks.example:99999/x",
    "http://hooks.example:0/x",
    "http://exa mple.com/",
    "http://-bad-.example/",
    "http://a..b/",
    "http://999.1.1.1/",
    "http://[::1/",
]
WORKABLE = ["http://127.0.0.1:9/hook", "https://例え.jp/hook", "http://[::1]:8080/x"]


@pytest.mark.parametrize("url", NEVER_WORKABLE)
async def test_never_workable_notify_url_is_refused_by_every_dialect(api, engine, url) -> None:
    await add_account(engine)
    async with api() as client, no_writes(engine):
        novicezk = await client.post(
            "/mj/submit/imagine", json={"prompt": "a cat", "notifyHook": url}
        )
        assert novicezk.status_code == 200
        reply = body(novicezk)
        assert reply["code"] == 4 and reply["description"].startswith("notifyHook参数错误: ")

        webman = await client.post("/image/imagine", json={"prompt": "a cat", "notifyUrl": url})
        reply = body(webman)
        assert reply["code"] == 500 and reply["msg"].startswith("notifyUrl is invalid: "), reply

        discordxy = await client.post("/mj/imagine", json={"prompt": "a cat", "notifyUrl": url})
        assert discordxy.status_code == 400
        reply = body(discordxy)
        assert reply["message"].startswith("notifyUrl must be a usable http(s) URL: "), reply


async def test_workable_notify_urls_are_accepted(api, engine) -> None:
    """Loopback and IDN hosts can be attempted (the allowlist decides at dial time)."""
    await add_account(engine, queue_size=50)
    async with api() as client:
        for url in WORKABLE:
            novicezk = body(
                await client.post("/mj/submit/imagine", json={"prompt": "a", "notifyHook": url})
            )
            assert novicezk["code"] == 1, (url, novicezk)
            webman = body(
                await client.post("/image/imagine", json={"prompt": "a", "notifyUrl": url})
            )
            assert webman["code"] == 0, (url, webman)
            discordxy = body(
                await client.post("/mj/imagine", json={"prompt": "a", "notifyUrl": url})
            )
            assert discordxy["code"] == 0, (url, discordxy)
