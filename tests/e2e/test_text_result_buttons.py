"""Describe and shorten results keep the bot's buttons, in every dialect and on the dashboard,
and pressing one (PicReader::n, PromptAnalyzer::n) imagines that prompt.

End to end: the app on a real port, the worker over real sockets to the sandbox, real Postgres.
"""

from __future__ import annotations

import html
import re

import httpx

from tests.e2e.stack import nz_done, poll, served
from tests.integration.api.conftest import body, data_url

DESCRIBE_IDS = [
    "MJ::Job::PicReader::1",
    "MJ::Job::PicReader::2",
    "MJ::Job::PicReader::3",
    "MJ::Job::PicReader::4",
    "MJ::Picread::Retry",
    "MJ::Job::PicReader::all",
]


def _webman_ids(task: dict) -> list[list[str]]:
    return [[c["custom_id"] for c in row] for row in task["buttons"]]


async def _dashboard_buttons(client: httpx.AsyncClient, task_id: str) -> list[str]:
    page = await client.get(f"/dashboard/tasks/{task_id}")
    assert page.status_code == 200, page.text
    return re.findall(r'name="custom_id" value="([^"]+)"', page.text)


async def _press_and_imagine(client, parent: dict, custom_id: str, expected_prompt: str) -> dict:
    """novicezk: action -> code 21 (modal) -> modal with the prompt as offered -> SUCCESS."""
    reply = body(
        await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": custom_id})
    )
    assert reply["code"] == 21, reply
    modal = body(await client.get(f"/mj/task/{reply['result']}/fetch"))
    assert modal["status"] == "MODAL" and modal["prompt"] == expected_prompt, modal
    reply = body(await client.post("/mj/submit/modal", json={"taskId": reply["result"]}))
    assert reply["code"] == 1, reply
    done, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done)
    assert done["status"] == "SUCCESS", done["failReason"]
    assert done["action"] == "IMAGINE" and done["imageUrl"], done
    assert done["parentId"] == parent["id"]
    assert any("MJ::JOB::upsample::1::" in b["customId"] for b in done["buttons"]), done
    return done


async def test_describe_buttons_everywhere_and_picreader_imagines(
    database_url, engine, sandbox, png
) -> None:
    async with served(database_url, engine, sandbox) as (base, client):
        reply = body(await client.post("/mj/submit/describe", json={"base64": data_url(png)}))
        assert reply["code"] == 1, reply
        described, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done)
        assert described["status"] == "SUCCESS", described["failReason"]
        prompts = described["prompt"].split("\n\n")
        assert len(prompts) == 4, described

        # novicezk/plus: the flat list with the real custom ids (and their emoji).
        assert [b["customId"] for b in described["buttons"]] == DESCRIBE_IDS
        assert described["buttons"][0]["emoji"] == "1\ufe0f\u20e3"
        # webman: raw rows, cut at "Imagine all" (spec A.6).
        fetched = body(await client.get(f"/task/fetch?taskId={described['id']}"))["data"]
        assert _webman_ids(fetched) == [DESCRIBE_IDS[:4], ["MJ::Picread::Retry"]]
        # Discordxy exposes no buttons (spec §G): its reply carries the prompts, nothing else.
        xy = body(await client.get(f"/mj/status?taskId={described['id']}"))["result"]
        assert "buttons" not in xy and xy["finalPrompt"].startswith(prompts[0])
        # The dashboard offers every button, each with its own prompt to imagine.
        assert await _dashboard_buttons(client, described["id"]) == DESCRIBE_IDS
        page = html.unescape((await client.get(f"/dashboard/tasks/{described['id']}")).text)
        assert f'value="{prompts[1]}"' in page

        await _press_and_imagine(client, described, "MJ::Job::PicReader::1", prompts[0])

        # webman presses with the prompt in the body; the task is queued at once.
        reply = body(
            await client.post(
                "/image/action",
                json={
                    "taskId": described["id"],
                    "customId": "MJ::Job::PicReader::2",
                    "prompt": prompts[1],
                },
            )
        )
        assert reply["code"] == 0, reply
        done, _ = await poll(
            client,
            f"/task/fetch?taskId={reply['taskId']}",
            lambda r: r["data"]["status"] in ("FINISHED", "FAILURE"),
        )
        assert done["data"]["status"] == "FINISHED", done
        assert done["data"]["imageUrl"] and done["data"]["finalPrompt"] == prompts[1]

        # The dashboard presses PicReader::3 with the prompt it offers.
        pressed = await client.post(
            f"/dashboard/tasks/{described['id']}/press",
            data={"custom_id": "MJ::Job::PicReader::3", "prompt": prompts[2]},
            headers={"origin": base},
        )
        assert pressed.status_code == 303, pressed.text
        child_id = pressed.headers["location"].rsplit("/", 1)[-1]
        assert child_id != described["id"]
        child, _ = await poll(client, f"/mj/task/{child_id}/fetch", nz_done)
        assert child["status"] == "SUCCESS" and child["imageUrl"], child

        # Retry describes the same image again: a new result with the same buttons.
        reply = body(
            await client.post(
                "/mj/submit/action",
                json={"taskId": described["id"], "customId": "MJ::Picread::Retry"},
            )
        )
        assert reply["code"] == 1, reply
        again, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done)
        assert again["status"] == "SUCCESS", again["failReason"]
        assert [b["customId"] for b in again["buttons"]] == DESCRIBE_IDS


async def test_shorten_buttons_everywhere_and_prompt_analyzer_imagines(
    database_url, engine, sandbox
) -> None:
    async with served(database_url, engine, sandbox) as (_, client):
        prompt = "a very detailed red fox standing in deep snow, golden hour, 8k, cinematic"
        reply = body(await client.post("/mj/submit/shorten", json={"prompt": prompt}))
        assert reply["code"] == 1, reply
        shortened, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done)
        assert shortened["status"] == "SUCCESS", shortened["failReason"]
        ids = [b["customId"] for b in shortened["buttons"]]
        options = shortened["properties"]["finalPrompt"].split("\n\n")
        count = sum(1 for i in ids if re.fullmatch(r"MJ::Job::PromptAnalyzer::\d", i))
        assert count >= 1 and ids[:count] == [
            f"MJ::Job::PromptAnalyzer::{i}" for i in range(1, count + 1)
        ], ids
        assert "MJ::Job::PromptAnalyzer::show_details" in ids

        fetched = body(await client.get(f"/task/fetch?taskId={shortened['id']}"))["data"]
        assert [i for row in _webman_ids(fetched) for i in row] == ids
        assert await _dashboard_buttons(client, shortened["id"]) == ids

        assert count == len(options), (ids, options)
        await _press_and_imagine(client, shortened, "MJ::Job::PromptAnalyzer::1", options[0])
