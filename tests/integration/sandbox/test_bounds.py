"""After many jobs the sandbox's stores sit at their bounds, and recent results still serve."""

from __future__ import annotations

from app.sandbox import Sandbox
from app.sandbox.bounds import BoundedDict
from tests.integration.sandbox.helpers import Driver, find_button, http_client

JOBS = 150  # several times every bound below


async def test_stores_stay_at_their_bounds_after_many_jobs(
    sandbox: Sandbox, driver: Driver
) -> None:
    core = sandbox.core
    core.ratelimiter.limit = 100_000  # bounds, not Discord's 50 requests/s, are under test here
    core.cdn.max_bytes = 200_000  # a few dozen `instant` jobs' files
    core.messages.per_channel = 40
    results = core.midjourney.memory.results
    assert isinstance(results, BoundedDict)
    results.limit = 25
    first_url = ""
    grid: dict = {}
    for i in range(JOBS):
        nonce = await driver.imagine(f"a lighthouse at dusk, study {i}")
        grid = await driver.final(nonce, within=30)
        first_url = first_url or grid["attachments"][0]["url"]
        if i % 20 == 0:
            driver.gateway.frames.clear()  # the test client's own memory, not the sandbox's

    assert core.cdn.held_bytes <= 200_000 and len(core.cdn) > 0
    # at the bound, less the last job's start message (deleted once its result was posted)
    assert 38 <= core.messages.count(driver.account.channel_id) <= 40
    assert len(results) == 25
    async with http_client(timeout=10) as http:
        assert (await http.get(first_url)).status_code == 404  # evicted: like an expired link
        recent = await http.get(grid["attachments"][0]["url"])
        assert recent.status_code == 200 and recent.content[:4] == b"\x89PNG"
    history = (await driver.http.get(f"/channels/{driver.account.channel_id}/messages")).json()
    assert history[0]["id"] == grid["id"]
    u1 = await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1::"))
    assert "Image #1" in (await driver.final(u1))["content"]  # the newest job still answers
