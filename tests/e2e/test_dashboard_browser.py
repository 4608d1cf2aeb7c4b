"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright.

The web app (uvicorn on a free loopback port), the worker and the sandbox Discord all run in
this process on real Postgres. A person's path: submit an imagine, watch its progress bar move
(live, over /events), see the grid, press U2, see the upscale; then a sandbox account is banned
and the accounts view shows it disabled with the reason. A video task's page plays its MP4: the
<video> element loads it (decoded frames, a duration), not only the markup.

With MJRELAY_SCREENSHOTS=<folder> each view is saved there as dashboard-*.png. The README's
pictures: `MJRELAY_SCREENSHOTS=docs/img .venv/bin/pytest tests/e2e/test_dashboard_browser.py`.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.sandbox import start_sandbox
from app.web import create_app
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.dashboard.helpers import serve_app
from tests.stack import running_worker
from tests.video import done, start_image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 30_000

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no browser: /usr/bin/chromium is missing (apt-get install -y chromium)",
    ),
    pytest.mark.timeout(120),
]

# Every value the task view's progress bar shows, recorded in the page as it changes.
_RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  const panel = document.getElementById("task-panel");
  const record = () => {
    const bar = panel.querySelector(".bar");
    if (!bar) return;
    const value = Number(bar.dataset.progress);
    if (window.progressSeen.at(-1) !== value) window.progressSeen.push(value);
  };
  record();
  new MutationObserver(record).observe(panel, { subtree: true, childList: true, attributes: true });
}"""
# The task's <video> has decoded a frame of its MP4 (HAVE_CURRENT_DATA) and knows its length.
_ARCHIVED_VIDEO_PLAYS = """() => {
  const video = document.getElementById("task-video");
  if (video === null || video.readyState < 2 || !(video.duration > 0) || video.error) return null;
  const src = video.getAttribute("src") || "";
  if (!src.startsWith("/files/") || video.videoWidth === 0) return null;
  return [src, video.videoWidth, video.videoHeight, video.duration];
}"""
_IMAGE_LOADED = """() => {
  const img = document.getElementById("task-image");
  return img !== null && img.complete && img.naturalWidth > 0;
}"""


@asynccontextmanager
async def browser_page() -> AsyncIterator[Any]:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            await browser.close()


class Shots:
    """Saves a screenshot per view when MJRELAY_SCREENSHOTS names a folder."""

    def __init__(self) -> None:
        folder = os.environ.get("MJRELAY_SCREENSHOTS", "").strip()
        self.folder = Path(folder) if folder else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def on(self) -> bool:
        return self.folder is not None

    async def take(self, page: Any, name: str, full_page: bool = False) -> None:
        if self.folder is not None:
            await page.screenshot(
                path=str(self.folder / f"dashboard-{name}.png"), full_page=full_page
            )


def _task_id(url: str) -> str:
    match = re.search(r"/dashboard/tasks/(\d+)$", url)
    assert match, url
    return match.group(1)


async def _submit(page: Any, base: str, kind: str, prompt: str) -> str:
    await page.goto(f"{base}/dashboard")
    await page.select_option("#kind", kind)
    await page.fill("textarea[name=prompt]", prompt)
    await page.click("#submit-form button[type=submit]")
    await page.wait_for_url(re.compile(r"/dashboard/tasks/\d+$"))
    return _task_id(page.url)


async def _finished(page: Any) -> str:
    view = page.locator("#task-panel .task-view[data-status=SUCCESS], "
                        "#task-panel .task-view[data-status=FAILURE]")  # fmt: skip
    await view.wait_for()
    return str(await view.get_attribute("data-status"))


async def _account(engine: AsyncEngine, account_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = await conn.execute(text("SELECT * FROM accounts WHERE id = :id"), {"id": account_id})
        return dict(row.mappings().one())


async def test_imagine_progress_grid_upscale_and_a_banned_account(
    database_url: str, engine: AsyncEngine
) -> None:
    shots = Shots()
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="fast", seed=8) as sb:
        specs = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        app = create_app(Settings(), database_url)
        async with (
            serve_app(app) as base,
            running_worker(database_url, engine, poll_interval_s=0.2),
            browser_page() as page,
        ):
            # `/` lands on the dashboard.
            await page.goto(f"{base}/")
            assert page.url == f"{base}/dashboard"
            await page.locator("#live.on").wait_for()  # the event stream is connected

            # Submit an imagine; the browser follows to the task view.
            grid_id = await _submit(page, base, "imagine", "a lighthouse at dawn, watercolor")
            await page.evaluate(_RECORD_PROGRESS)
            if shots.on:  # a running task with its live preview
                await page.wait_for_function(
                    "() => document.querySelector('#task-panel .task-view')?.dataset.status"
                    f" === 'RUNNING' && ({_IMAGE_LOADED})()"
                )
                await shots.take(page, "task-running")
            assert await _finished(page) == "SUCCESS"
            seen = await page.evaluate("window.progressSeen")
            assert any(0 < value < 100 for value in seen), f"no progress in between: {seen}"
            assert seen[-1] == 100 and seen == sorted(seen), seen
            assert len(seen) >= 2, f"the bar did not move: {seen}"

            # The grid: the image loads from this server's durable file URL.
            await page.wait_for_function(_IMAGE_LOADED)
            grid_src = await page.locator("#task-image").get_attribute("src")
            assert grid_src is not None and grid_src.startswith(f"/files/{grid_id}/")
            await shots.take(page, "task-grid", full_page=True)

            # Press U2: a new task, the upscale of image 2.
            await page.get_by_role("button", name="U2", exact=True).click()
            await page.wait_for_url(re.compile(r"/dashboard/tasks/\d+$"))
            upscale_id = _task_id(page.url)
            assert upscale_id != grid_id
            assert await _finished(page) == "SUCCESS"
            await page.wait_for_function(_IMAGE_LOADED)
            upscale_src = await page.locator("#task-image").get_attribute("src")
            assert upscale_src is not None and upscale_src.startswith(f"/files/{upscale_id}/")
            await page.locator("#task-panel h1", has_text="upscale").wait_for()
            size = await page.evaluate(
                "() => { const i = document.getElementById('task-image');"
                " return [i.naturalWidth, i.naturalHeight]; }"
            )
            assert size[0] > 0 and size[1] > 0
            await page.get_by_role("link", name=grid_id).wait_for()  # "From" the grid
            await shots.take(page, "task-upscale")

            if shots.on:  # a fuller list for the picture
                await _submit(page, base, "pika_create", "a paper boat on a pond")
                await _finished(page)
                await _submit(page, base, "imagine", "a fox in fresh snow, film photo")
                await _finished(page)

            # The list: newest first, with thumbnails.
            await page.goto(f"{base}/dashboard")
            cards = page.locator("#task-grid .task-card")
            ids = await cards.evaluate_all("cards => cards.map(c => c.dataset.taskId)")
            assert ids.index(upscale_id) < ids.index(grid_id)
            await page.wait_for_function(
                "id => { const img = document.querySelector("
                '`[data-task-id="${id}"] .thumb img`);'
                " return img && img.complete && img.naturalWidth > 0; }",
                arg=upscale_id,
            )
            await page.wait_for_function(
                "() => [...document.querySelectorAll('#task-grid .thumb img')]"
                ".every(img => img.complete && img.naturalWidth > 0)"
            )
            await shots.take(page, "tasks")

            # Ban a sandbox account; the accounts view shows it disabled with the reason.
            victim = specs[0].id
            banned_at = time.monotonic()
            await sb.inject_fault("ban", account=0)
            while (account := await _account(engine, victim))["health"] != "disabled":
                assert time.monotonic() - banned_at < 15, account["health"]
                await asyncio.sleep(0.05)
            reason = account["health_reason"]
            assert reason
            await page.goto(f"{base}/dashboard/accounts")
            row = page.locator(f'tr[data-account-id="{victim}"]')
            await row.locator(".badge", has_text="disabled").wait_for()
            await row.locator(".reason", has_text=reason).wait_for()
            healthy = page.locator(f'tr[data-account-id="{specs[1].id}"] .badge')
            assert (await healthy.inner_text()).strip() == "ok"
            # The mode and fast time the worker read from the account's /info (issue 16).
            other = page.locator(f'tr[data-account-id="{specs[1].id}"]')
            mode = await other.locator("td.mode").inner_text()
            assert mode.split()[0] == "fast" and "not read yet" not in mode
            assert "hours" in await other.locator("td.fast-time").inner_text()
            await shots.take(page, "accounts")


async def test_a_video_tasks_page_plays_its_mp4(database_url: str, engine: AsyncEngine) -> None:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=9) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        app = create_app(Settings(), database_url)
        async with (
            serve_app(app) as base,
            running_worker(database_url, engine, poll_interval_s=0.2),
            browser_page() as page,
        ):
            async with httpx.AsyncClient(base_url=base) as api:
                submitted = await api.post(
                    "/mj/submit/video",
                    json={"prompt": "a kite", "image": start_image(), "batchSize": 1},
                )
            assert submitted.status_code == 200 and submitted.json()["code"] == 1, submitted.text
            video_id = submitted.json()["result"]
            await done(engine, video_id)
            await page.goto(f"{base}/dashboard/tasks/{video_id}")
            assert await _finished(page) == "SUCCESS"
            # Read in the same check that sees it play: a live update (the clip archived) may
            # replace the element between two separate reads.
            playing = await page.wait_for_function(_ARCHIVED_VIDEO_PLAYS)
            src, width, height, duration = await playing.json_value()
    assert src.startswith(f"/files/{video_id}/")  # the archived MP4
    assert width > 0 and height > 0 and duration > 0
