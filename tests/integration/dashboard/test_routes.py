"""Dashboard pages and form posts over the whole web app, on real Postgres."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select, text

from app import taskstore
from app.domain.task import Task
from db import accounts as account_queries
from db import objects as object_queries
from db import task_file_rows
from db.tables import deliveries, tasks
from tests.integration.api.conftest import ACCOUNT, add_account, finish, no_writes

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xfc\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def _task(engine, task_id: str, **fields) -> Task:
    values = {"dialect": "novicezk", "action": "IMAGINE", "prompt": "a small cat"}
    values.update(fields)
    return await taskstore.create_task(engine, Task(id=task_id, **values))


def _new_task_id(response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/dashboard/tasks/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def test_root_redirects_to_the_dashboard(web) -> None:
    async with web() as client:
        reply = await client.get("/")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/dashboard"


async def test_dashboard_page_has_the_submit_form_and_an_empty_list(web) -> None:
    async with web() as client:
        reply = await client.get("/dashboard")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    page = reply.text
    assert 'action="/dashboard/submit"' in page
    for kind in ("imagine", "blend", "describe", "pika_create", "pika_animate"):
        assert f'value="{kind}"' in page
    assert "No tasks yet" in page
    assert "/dashboard/static/dashboard.js" in page


async def test_static_assets_are_served_from_the_package(web) -> None:
    async with web() as client:
        script = await client.get("/dashboard/static/dashboard.js")
        style = await client.get("/dashboard/static/dashboard.css")
        icon = await client.get("/dashboard/static/favicon.svg")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "EventSource" in script.text
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert icon.status_code == 200 and "svg" in icon.headers["content-type"]
    for body in (script.text, style.text):
        assert "http://" not in body and "https://" not in body  # no CDN


async def test_submit_imagine_makes_a_task_and_shows_it(web, engine) -> None:
    async with web() as client:
        reply = await client.post(
            "/dashboard/submit", data={"kind": "imagine", "prompt": "a red fox in the snow"}
        )
        task_id = _new_task_id(reply)
        page = await client.get(f"/dashboard/tasks/{task_id}")
        listing = await client.get("/dashboard")
    task = await taskstore.get_task(engine, task_id)
    assert task is not None
    assert (task.action, task.prompt, task.bot, task.status) == (
        "IMAGINE",
        "a red fox in the snow",
        "mj",
        "PENDING",
    )
    assert page.status_code == 200
    assert "a red fox in the snow" in page.text
    assert f'data-task-id="{task_id}"' in page.text
    assert f'data-task-id="{task_id}"' in listing.text


async def test_submit_with_images_blend_describe_and_pika(web, engine) -> None:
    png = ("x.png", PNG, "image/png")
    async with web() as client:
        blend = await client.post(
            "/dashboard/submit",
            data={"kind": "blend", "dimensions": "PORTRAIT"},
            files=[("images", png), ("images", ("y.png", PNG, "image/png"))],
        )
        describe = await client.post(
            "/dashboard/submit", data={"kind": "describe"}, files=[("images", png)]
        )
        pika = await client.post(
            "/dashboard/submit", data={"kind": "pika_create", "prompt": "a paper boat"}
        )
        animate = await client.post(
            "/dashboard/submit",
            data={"kind": "pika_animate", "prompt": "waves"},
            files=[("images", png)],
        )
    found = {}
    for reply in (blend, describe, pika, animate):
        task = await taskstore.get_task(engine, _new_task_id(reply))
        assert task is not None
        found[task.action] = task
    assert found["BLEND"].params["dimensions"] == "PORTRAIT"
    assert len(found["BLEND"].inputs) == 2
    assert len(found["DESCRIBE"].inputs) == 1
    assert (found["PIKA_CREATE"].bot, found["PIKA_CREATE"].dialect) == ("pika", "discordxy")
    assert found["PIKA_ANIMATE"].bot == "pika" and len(found["PIKA_ANIMATE"].inputs) == 1


async def test_bad_submissions_show_the_reason_and_write_nothing(web, engine) -> None:
    png = ("x.png", PNG, "image/png")
    cases = [
        ({"kind": "imagine", "prompt": ""}, [], "a prompt is required"),
        ({"kind": "blend"}, [("images", png)], "blend takes 2 to 5 image(s); got 1"),
        ({"kind": "describe"}, [("images", ("n.txt", b"hello", "text/plain"))], "not an image"),
        ({"kind": "imagine", "prompt": "a nude statue"}, [], "banned word: nude"),
        ({"kind": "teleport", "prompt": "x"}, [], "unknown kind"),
    ]
    async with web(banned_words=("nude",)) as client, no_writes(engine):
        for data, files, message in cases:
            reply = await client.post("/dashboard/submit", data=data, files=files or None)
            assert reply.status_code == 400, data
            assert message in reply.text, (message, reply.text[:2000])
            assert 'role="alert"' in reply.text


async def test_finished_task_shows_media_prompts_buttons_and_events(web, engine) -> None:
    await add_account(engine)
    await _task(engine, "1000000000000001")
    await finish(engine, "1000000000000001")
    async with web() as client:
        page = (await client.get("/dashboard/tasks/1000000000000001")).text
        panel = await client.get("/dashboard/tasks/1000000000000001/panel")
        card = await client.get("/dashboard/tasks/1000000000000001/card")
    assert "https://cdn.discordapp.com/attachments/1/2/user_cat_" in page  # no file token: raw
    assert "Final prompt" in page
    for label in ("U1", "U2", "U3", "U4", "V1", "V4"):
        assert re.search(rf">\s*{label}\s*</button>", page), label
    u2 = re.search(r"<button[^>]*>\s*U2\s*</button>", page)
    assert u2 is not None and "disabled" not in u2.group(0)
    for kind in ("created", "leased", "sent", "progress", "finished"):
        assert f"<td>{kind}</td>" in page
    assert panel.status_code == 200 and "<html" not in panel.text
    assert card.status_code == 200 and 'class="task-card ok"' in card.text


async def test_submitted_task_images_use_this_servers_file_urls(web, engine) -> None:
    await add_account(engine)
    async with web() as client:
        task_id = _new_task_id(
            await client.post("/dashboard/submit", data={"kind": "imagine", "prompt": "a moth"})
        )
        await finish(engine, task_id)
        page = (await client.get(f"/dashboard/tasks/{task_id}")).text
    task = await taskstore.get_task(engine, task_id)
    assert task is not None
    assert f'src="/files/{task_id}/{task.prop("_file_token")}/image.png"' in page


async def test_pressing_u2_makes_an_upscale_of_that_task(web, engine) -> None:
    await add_account(engine)
    await _task(engine, "1000000000000002")
    grid = await finish(engine, "1000000000000002")
    u2 = next(c for r in grid.buttons for c in r["components"] if c.get("label") == "U2")
    async with web() as client:
        reply = await client.post(
            "/dashboard/tasks/1000000000000002/press", data={"custom_id": u2["custom_id"]}
        )
        child_id = _new_task_id(reply)
        parent_page = (await client.get("/dashboard/tasks/1000000000000002")).text
    child = await taskstore.get_task(engine, child_id)
    assert child is not None
    assert (child.action, child.params["index"], child.parent_id) == (
        "UPSCALE",
        2,
        "1000000000000002",
    )
    assert child.account_id == ACCOUNT
    assert f'href="/dashboard/tasks/{child_id}"' in parent_page  # listed as a follow-up


async def test_pressing_a_button_the_task_does_not_have_is_refused(web, engine) -> None:
    await _task(engine, "1000000000000003")
    async with web() as client, no_writes(engine):
        pending = await client.post(
            "/dashboard/tasks/1000000000000003/press",
            data={"custom_id": "MJ::JOB::upsample::1::x"},
        )
    assert pending.status_code == 400
    assert "only a finished (SUCCESS) task has buttons" in pending.text


async def test_cancel_a_waiting_task(web, engine) -> None:
    await _task(engine, "1000000000000004")
    async with web() as client:
        reply = await client.post("/dashboard/tasks/1000000000000004/cancel")
    assert reply.status_code == 303
    task = await taskstore.get_task(engine, "1000000000000004")
    assert task is not None and task.status == "CANCEL"


async def test_unknown_task_is_a_404_page(web) -> None:
    async with web() as client:
        reply = await client.get("/dashboard/tasks/999")
        panel = await client.get("/dashboard/tasks/999/panel")
    assert reply.status_code == 404 and "No task 999" in reply.text
    assert panel.status_code == 404


async def test_accounts_view_shows_health_reason_load_and_no_token(web, engine) -> None:
    await add_account(engine, concurrency=3)
    await add_account(engine, "acct-2", concurrency=3)
    async with engine.begin() as conn:
        await account_queries.set_health(conn, "acct-2", "disabled", "gateway closed 4004: banned")
    await _task(engine, "1000000000000005", account_id=ACCOUNT)
    await _task(engine, "1000000000000006")
    await taskstore.record_change(
        engine, "1000000000000006", {"status": "RUNNING", "account_id": ACCOUNT}, kind="x"
    )
    async with web() as client:
        page = (await client.get("/dashboard/accounts")).text
        table = (await client.get("/dashboard/accounts/table")).text
    assert "gateway closed 4004: banned" in page
    assert "SECRET-TOKEN" not in page and "SECRET-TOKEN" not in table
    row = re.search(r'<tr data-account-id="acct-1".*?</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(.*?)</td>', row.group(0))
    assert cells == ["1 / 3", "1"]  # running / cap, queued (pinned to it)
    assert "(default, not read yet)" in _cell(row.group(0), "mode")
    assert _cell(row.group(0), "fast-time") == "—" and _cell(row.group(0), "remix") == "—"


def _cell(row: str, name: str) -> str:
    found = re.search(rf'<td class="{name}">(.*?)</td>', row, re.S)
    assert found is not None, name
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


async def test_accounts_view_shows_mode_fast_time_and_remix_midjourney_reported(
    web, engine
) -> None:
    await add_account(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE accounts SET job_mode = 'relax', remix = false, remix_wanted = true,"
                " fast_time_remaining = '0.00/15.0 hours (0.00%)', fast_exhausted = true,"
                " subscription = 'Basic (Active monthly)', state_read_at = now()"
            )
        )
    async with web() as client:
        table = (await client.get("/dashboard/accounts/table")).text
    row = re.search(r'<tr data-account-id="acct-1".*?</tr>', table, re.S)
    assert row is not None
    mode = _cell(row.group(0), "mode")
    assert mode.startswith("relax read ") and "default" not in mode
    assert _cell(row.group(0), "fast-time") == (
        "0.00/15.0 hours (0.00%) fast time used up Basic (Active monthly)"
    )
    assert _cell(row.group(0), "remix") == "off → on"  # the admin's wish, not applied yet


async def test_accounts_view_shows_nijis_own_mode_and_remix(web, engine) -> None:
    await add_account(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE accounts SET bots = ARRAY['mj', 'niji'], job_mode = 'fast',"
                " remix = false, niji_job_mode = 'relax', niji_remix = true"
            )
        )
    async with web() as client:
        table = (await client.get("/dashboard/accounts/table")).text
    row = re.search(r'<tr data-account-id="acct-1".*?</tr>', table, re.S)
    assert row is not None
    assert _cell(row.group(0), "mode") == "fast niji: relax"
    assert _cell(row.group(0), "remix") == "off niji: on"


async def test_enable_and_disable_an_account(web, engine) -> None:
    await add_account(engine)
    async with web() as client:
        off = await client.post(f"/dashboard/accounts/{ACCOUNT}/disable")
        async with engine.connect() as conn:
            disabled = (await account_queries.get_account(conn, ACCOUNT))["enabled"]
        on = await client.post(f"/dashboard/accounts/{ACCOUNT}/enable")
        missing = await client.post("/dashboard/accounts/nope/enable")
        bad_verb = await client.post(f"/dashboard/accounts/{ACCOUNT}/explode")
    async with engine.connect() as conn:
        enabled = (await account_queries.get_account(conn, ACCOUNT))["enabled"]
    assert off.status_code == on.status_code == 303
    assert disabled is False and enabled is True
    assert missing.status_code == 400 and "no account" in missing.text
    assert bad_verb.status_code == 404


async def test_deliveries_are_listed_and_can_be_redelivered(web, engine) -> None:
    await _task(engine, "1000000000000007", notify_url="https://hooks.example.com/mj")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE deliveries SET status = 'failed', attempts = 7, last_status_code = 500,"
                " last_error = 'server error'"
            )
        )
        delivery_id = (await conn.execute(select(deliveries.c.id))).scalar_one()
    async with web() as client:
        page = (await client.get("/dashboard/tasks/1000000000000007")).text
        reply = await client.post(
            f"/dashboard/deliveries/{delivery_id}/redeliver",
            data={"task_id": "1000000000000007"},
        )
        missing = await client.post("/dashboard/deliveries/123456/redeliver")
    assert "https://hooks.example.com/mj" in page
    assert "HTTP 500" in page and "server error" in page
    assert reply.status_code == 303
    assert reply.headers["location"] == "/dashboard/tasks/1000000000000007#deliveries"
    assert missing.status_code == 404
    async with engine.connect() as conn:
        row = (await conn.execute(select(deliveries))).mappings().one()
    assert (row["status"], row["attempts"]) == ("pending", 0)


async def test_cross_site_form_posts_are_refused(web, engine) -> None:
    async with web() as client, no_writes(engine):
        evil = await client.post(
            "/dashboard/submit",
            data={"kind": "imagine", "prompt": "x"},
            headers={"origin": "http://evil.example"},
        )
        fetched = await client.post(
            "/dashboard/submit",
            data={"kind": "imagine", "prompt": "x"},
            headers={"sec-fetch-site": "cross-site"},
        )
    assert evil.status_code == fetched.status_code == 403
    async with web() as client:
        same = await client.post(
            "/dashboard/submit",
            data={"kind": "imagine", "prompt": "x"},
            headers={"origin": "http://test", "sec-fetch-site": "same-origin"},
        )
    assert same.status_code == 303


async def test_filters_by_status_account_and_dialect(web, engine) -> None:
    await add_account(engine)
    await _task(engine, "1000000000000011", dialect="webman")
    await _task(engine, "1000000000000012", dialect="novicezk")
    await _task(engine, "1000000000000013", dialect="novicezk")
    await finish(engine, "1000000000000013")
    await _task(engine, "1000000000000014", dialect="discordxy", account_id=ACCOUNT)

    async def shown(client, query: str) -> list[str]:
        page = (await client.get(f"/dashboard{query}")).text
        return re.findall(r'<article class="task-card[^"]*" data-task-id="(\d+)"', page)

    async with web() as client:
        everything = await shown(client, "")
        by_status = await shown(client, "?status=SUCCESS")
        by_dialect = await shown(client, "?dialect=novicezk")
        by_account = await shown(client, f"?account={ACCOUNT}")
        unassigned = await shown(client, "?account=-")
        combined = await shown(client, "?status=PENDING&dialect=novicezk")
        nothing = (await client.get("/dashboard?status=FAILURE")).text
        odd = await client.get("/dashboard?status=%00")
    assert everything == [
        "1000000000000014",
        "1000000000000013",
        "1000000000000012",
        "1000000000000011",
    ]  # newest first
    assert by_status == ["1000000000000013"]
    assert by_dialect == ["1000000000000013", "1000000000000012"]
    assert by_account == ["1000000000000014", "1000000000000013"]
    assert unassigned == ["1000000000000012", "1000000000000011"]
    assert combined == ["1000000000000012"]
    assert "match these filters" in nothing
    assert odd.status_code == 200


async def test_dashboard_tasks_are_fetchable_through_the_api(web, engine) -> None:
    async with web() as client:
        task_id = _new_task_id(
            await client.post("/dashboard/submit", data={"kind": "imagine", "prompt": "a heron"})
        )
        fetched = await client.get(f"/mj/task/{task_id}/fetch")
    assert fetched.json()["prompt"] == "a heron"
    async with engine.connect() as conn:
        assert (await conn.execute(select(tasks.c.dialect))).scalar_one() == "novicezk"


async def test_list_thumbnails_are_small_webp_kept_in_the_store(web, engine) -> None:
    big = io.BytesIO()
    Image.new("RGB", (1024, 512), (200, 40, 40)).save(big, format="PNG")
    await add_account(engine)
    await _task(engine, "1000000000000021")
    task = await finish(engine, "1000000000000021")
    async with engine.begin() as conn:  # a result archived the old way, as bytes in the database
        await task_file_rows.insert_task_file(
            conn,
            task_id=task.id,
            name="image",
            role="result",
            content_type="image/png",
            data=big.getvalue(),
            source=task.image_url,
        )
    async with web() as client:
        listing = (await client.get("/dashboard")).text
        first = await client.get("/dashboard/thumbs/1000000000000021.webp")
        again = await client.get("/dashboard/thumbs/1000000000000021.webp")
        none = await client.get("/dashboard/thumbs/999.webp")
    assert 'src="/dashboard/thumbs/1000000000000021.webp?v=5"' in listing
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(first.content)) as thumb:
        assert thumb.size == (384, 192)
    assert again.content == first.content
    assert none.status_code == 404
    async with engine.connect() as conn:
        stored = await object_queries.get_object(conn, task.id, "thumb")
        blob = await task_file_rows.get_task_file(conn, task.id, "image")
    assert stored is not None and stored["state"] == "stored"
    assert stored["source"] == task.image_url and stored["size"] == len(first.content)
    assert blob is None  # moved into the store on the way
