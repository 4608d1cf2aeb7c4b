"""A forged Host header does not change result URLs (imageUrl, callbacks, /events)."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import body, finish


async def _image_url(client, engine, host: str) -> str:
    headers = {"host": host}
    submitted = await client.post(
        "/novicezk/mj/submit/imagine", json={"prompt": "a cat"}, headers=headers
    )
    task_id = body(submitted)["result"]
    await finish(engine, task_id, account=None)
    fetched = await client.get(f"/mj/task/{task_id}/fetch", headers=headers)
    return str(body(fetched)["imageUrl"])


@pytest.mark.parametrize(
    ("settings", "origin"),
    [
        pytest.param(
            {"allowed_hosts": ("relay.example.com",)}, "http://relay.example.com", id="allowed"
        ),
        pytest.param({"allowed_hosts": ()}, "http://127.0.0.1:8080", id="nothing-set"),
        pytest.param(
            {"cdn_host": "https://img.example.com", "allowed_hosts": ("*",)},
            "https://img.example.com",
            id="public-url",
        ),
    ],
)
async def test_a_forged_host_header_does_not_reach_result_urls(
    api, engine, settings: dict, origin: str
) -> None:
    async with api(**settings) as client:
        forged = await _image_url(client, engine, "evil.example")
        if settings.get("allowed_hosts") == ("relay.example.com",):
            assert (await _image_url(client, engine, "relay.example.com")).startswith(origin)
    assert forged.startswith(f"{origin}/files/")
    assert "evil.example" not in forged
