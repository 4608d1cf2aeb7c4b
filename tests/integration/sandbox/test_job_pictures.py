"""Job pictures over real sockets: the same prompt and seed drawn once, distinct ones distinct."""

from __future__ import annotations

from app.sandbox import Sandbox
from tests.integration.sandbox.helpers import Driver, http_client


async def _bytes(url: str) -> bytes:
    async with http_client() as client:
        response = await client.get(url)
    assert response.status_code == 200, url
    return response.content


async def test_a_repeated_prompt_is_drawn_once_and_each_job_keeps_its_own_files(
    sandbox: Sandbox, driver: Driver
) -> None:
    renders = sandbox.core.midjourney.commands.runner.renders
    prompts = ["a red fox --seed 7", "a red fox --seed 7", "a red fox --seed 8", "a blue whale"]
    finals = [await driver.final(await driver.imagine(prompt)) for prompt in prompts]
    files = [final["attachments"][0] for final in finals]
    pictures = [await _bytes(file["url"]) for file in files]
    assert pictures[0] == pictures[1]  # deterministic per prompt and seed
    assert len({pictures[0], pictures[2], pictures[3]}) == 3  # distinct prompts, distinct bytes
    assert renders.hits == 1 and len(renders) == 3  # the repeat was served from the cache
    # ... yet each job is its own: own attachment, own URL, own job hash in the file name
    assert len({file["id"] for file in files}) == len({file["url"] for file in files}) == 4
    assert files[0]["filename"] != files[1]["filename"]
    previews = [
        f["d"]["attachments"][0]
        for f in driver.gateway.dispatches("MESSAGE_UPDATE")
        if f["d"].get("attachments")
    ]
    assert len(previews) == 3 * len(prompts)
    first, repeat = previews[:3], previews[3:6]
    assert [await _bytes(p["url"]) for p in first] == [await _bytes(p["url"]) for p in repeat]
    assert {p["url"] for p in first}.isdisjoint(p["url"] for p in repeat)
