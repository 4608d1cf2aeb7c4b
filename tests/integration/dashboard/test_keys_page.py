"""The dashboard's Keys page (admin only): create a key (shown once), see its use per day,
disable and enable it — and the key it made works, and stops working, on the API."""

from __future__ import annotations

import re

from sqlalchemy import text

from app.domain.keys import key_hash
from tests.integration.api.conftest import add_account
from tests.integration.dashboard.test_auth import SECRET, _sign_in


async def test_an_admin_creates_uses_and_disables_a_key(web, engine) -> None:
    await add_account(engine)
    async with web(admin_secret=SECRET, api_secret="the-api-secret") as client:
        assert (await client.get("/dashboard/keys")).status_code == 303  # sign in first
        refused = await client.post("/dashboard/keys", data={"name": "shop"})
        assert refused.status_code == 401
        await _sign_in(client)
        created = await client.post(
            "/dashboard/keys",
            data={"name": "shop", "daily_limit": "5", "rate": "60/min", "dialect_discordxy": "on"},
        )
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        key = re.search(r'id="new-key">(mjr_[A-Za-z0-9_-]+)<', created.text).group(1)
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT key_hash, daily_limit, rate_per_min, dialects FROM api_keys")
                )
            ).one()
        assert tuple(row) == (key_hash(key), 5, 60, ["discordxy"])
        page = await client.get("/dashboard/keys")
        assert key not in page.text and key[:10] in page.text  # shown once, then its prefix

        auth = {"authorization": f"Bearer {key}"}
        assert (
            await client.post("/mj/imagine", json={"prompt": "x"}, headers=auth)
        ).status_code == 200
        page = await client.get("/dashboard/keys")
        assert re.search(r'<td class="num">1 / 5</td>', page.text)  # today / daily
        assert '<td class="num small usage">1</td>' in page.text  # today's column

        again = await client.post("/dashboard/keys", data={"name": "shop"})
        assert again.status_code == 400 and "exists" in again.text
        bad = await client.post("/dashboard/keys", data={"name": "x", "daily_limit": "-1"})
        assert bad.status_code == 400 and "daily limit" in bad.text

        off = await client.post("/dashboard/keys/shop/disable")
        assert off.status_code == 303
        refused = await client.post("/mj/imagine", json={"prompt": "x"}, headers=auth)
        assert refused.status_code == 401 and "disabled" in refused.text
        assert (await client.post("/dashboard/keys/shop/enable")).status_code == 303
        assert (
            await client.post("/mj/imagine", json={"prompt": "y"}, headers=auth)
        ).status_code == 200
