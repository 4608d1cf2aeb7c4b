from __future__ import annotations

from tests.integration.sandbox.helpers import Driver, find_button


async def test_imagine_then_upscale(driver: Driver) -> None:
    nonce = await driver.imagine("a red fox in a snowy forest --ar 3:2")
    grid = await driver.final(nonce)
    assert grid["content"].endswith("(fast)")
    u2 = await driver.click(grid, find_button(grid, "MJ::JOB::upsample::2::"))
    single = await driver.final(u2)
    assert "Image #2" in single["content"]
