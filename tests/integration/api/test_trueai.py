"""trueai's extensions of the novicezk dialect (spec v2 §7) through the app on a real database:
speed-mode route prefixes, `accountFilter`, trueai's task fields in fetch and callback bodies,
the account routes with their Midjourney state, and the admin route."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update

from app.taskstore import get_task, record_change
from db.tables import accounts, deliveries
from tests.integration.api.conftest import ACCOUNT, add_account, body, finish, no_writes
from tests.integration.api.keys.helpers import add_key, bearer

SECRET = {"mj-api-secret": "s3cret"}
ADMIN = {"mj-api-secret": "adm1n"}


async def _submit(client, path: str, payload: dict, headers: dict | None = None) -> str:
    reply = body(await client.post(path, json=payload, headers=headers or {}))
    assert reply["code"] == 1, reply
    return str(reply["result"])


@pytest.mark.parametrize("mode", ["fast", "relax", "turbo"])
async def test_a_speed_prefix_asks_its_mode_on_every_submit_and_serves_every_task_route(
    api, engine, mode
) -> None:
    await add_account(engine)
    prefix = f"/mj-{mode}"
    async with api() as client:
        imagine = await _submit(
            client,
            f"{prefix}/mj/submit/imagine",
            # The prefix wins over the filter's modes and a flag in the prompt (trueai's order).
            {"prompt": "a cat --fast", "accountFilter": {"modes": ["TURBO"]}},
        )
        task = await get_task(engine, imagine)
        assert (task.request_mode, task.filter_modes) == (mode, ["turbo"])
        await finish(engine, imagine)
        plain = (await client.get(f"/mj/task/{imagine}/fetch")).content
        assert (await client.get(f"{prefix}/mj/task/{imagine}/fetch")).content == plain
        listed = body(await client.post(f"{prefix}/mj/task/list-by-ids", json={"ids": [imagine]}))
        assert [t["id"] for t in listed] == [imagine]

        u1 = await _submit(
            client,
            f"{prefix}/mj/submit/change",
            {"taskId": imagine, "action": "UPSCALE", "index": 1},
        )
        assert (await get_task(engine, u1)).request_mode == mode
        described = await _submit(
            client, f"{prefix}/mj/submit/shorten", {"prompt": "a very long prompt"}
        )
        assert (await get_task(engine, described)).request_mode == mode
        cancelled = body(await client.post(f"{prefix}/mj/task/{described}/cancel"))
        assert cancelled["code"] == 1, cancelled


async def test_without_a_prefix_the_filter_then_the_prompt_say_the_mode(api, engine) -> None:
    await add_account(engine)
    async with api() as client:
        flagged = await _submit(client, "/novicezk/mj/submit/imagine", {"prompt": "a cat --relax"})
        assert (await get_task(engine, flagged)).request_mode == "relax"
        # Every dialect: a Discordxy imagine (this body sniffs as Discordxy).
        reply = body(await client.post("/mj/submit/imagine", json={"prompt": "a dog --turbo"}))
        assert (await get_task(engine, reply["result"])).request_mode == "turbo"
        filtered = await _submit(
            client,
            "/mj/submit/imagine",
            {"prompt": "a cat --turbo", "accountFilter": {"modes": ["relax", "FAST"]}},
        )
        task = await get_task(engine, filtered)
        assert (task.request_mode, task.filter_modes) == (None, ["relax", "fast"])
        nothing = await _submit(client, "/novicezk/mj/submit/imagine", {"prompt": "a cat"})
        assert (await get_task(engine, nothing)).request_mode is None
        pika = body(await client.post("/pika/create", json={"prompt": "a cat --relax"}))
        assert (await get_task(engine, pika["result"])).request_mode is None  # Pika's own text

        # A follow-up asking nothing runs in the mode its parent asked; its own prefix wins.
        await finish(engine, flagged)
        press = {"taskId": flagged, "action": "VARIATION", "index": 2}
        v2 = await _submit(client, "/mj/submit/change", press)
        assert (await get_task(engine, v2)).request_mode == "relax"
        v3 = await _submit(client, "/mj-turbo/mj/submit/change", {**press, "index": 3})
        assert (await get_task(engine, v3)).request_mode == "turbo"


async def test_account_filter_names_an_account_by_id_channel_or_remark(api, engine) -> None:
    await add_account(engine)
    await add_account(engine, "acct-2")
    async with engine.begin() as conn:
        await conn.execute(
            update(accounts).where(accounts.c.id == "acct-2").values(name="Team B", channel_id="77")
        )
    async with api() as client:
        cases = [
            ({"instanceId": ACCOUNT}, ACCOUNT),
            ({"channelId": "77"}, "acct-2"),
            ({"instanceId": "77"}, "acct-2"),
            ({"remark": "team b"}, "acct-2"),
            ({"remix": True, "remixAutoConsidered": False}, None),
        ]
        for wanted, account in cases:
            task_id = await _submit(
                client, "/mj/submit/imagine", {"prompt": "a cat", "accountFilter": wanted}
            )
            task = await get_task(engine, task_id)
            assert task.filter_account_id == account, wanted
        assert (task.filter_remix, task.remix_auto) == (True, False)

        async with no_writes(engine):
            for wanted in ({"instanceId": "nope"}, {"remark": "team c"}, {"instanceId": "a\x00"}):
                reply = body(
                    await client.post(
                        "/mj/submit/imagine", json={"prompt": "a cat", "accountFilter": wanted}
                    )
                )
                assert reply["code"] in (3, 4) and reply["result"] is None, reply


async def test_bad_account_filters_are_refused_in_novicezk_words_and_write_nothing(
    api, engine
) -> None:
    await add_account(engine)
    bad = [
        ("FAST", "must be an object"),
        ({"modes": ["SLOW"]}, "modes must be among FAST, RELAX, TURBO"),
        ({"modes": "FAST"}, "modes must be a list"),
        ({"remix": "yes"}, "remix must be true, false or null"),
        ({"remark": "r" * 101}, "remark must be text of at most 100 characters"),
    ]
    async with api(api_secret="s3cret") as client, no_writes(engine):
        for value, why in bad:
            for path in ("/mj/submit/imagine", "/mj-relax/mj/submit/imagine"):
                response = await client.post(
                    path, json={"prompt": "a cat", "accountFilter": value}, headers=SECRET
                )
                reply = body(response)
                assert response.status_code == 200 and reply["code"] == 4, reply
                assert reply["description"].startswith("accountFilter参数错误: ")
                assert why in reply["description"]
        unknown = body(
            await client.post(
                "/mj/submit/imagine",
                json={"prompt": "a cat", "accountFilter": {"instanceId": "nope"}},
                headers=SECRET,
            )
        )
        assert unknown["code"] == 3 and "nope" in unknown["description"], unknown
        # The prefixed routes check the secret before reading anything, as the others.
        refused = await client.post("/mj-fast/mj/submit/imagine", json={"prompt": "a cat"})
        assert refused.status_code == 401


async def test_trueai_fields_in_fetch_and_callback_bodies_when_enabled(api, engine) -> None:
    await add_account(engine)
    async with api(novicezk_trueai_fields=True) as client:
        task_id = await _submit(
            client,
            "/mj-relax/mj/submit/imagine",
            {
                "prompt": "a cat",
                "notifyHook": "http://hooks.example/mj",
                "accountFilter": {"instanceId": ACCOUNT, "remixAutoConsidered": True},
            },
        )
        await record_change(engine, task_id, {"mode": "relax"}, kind="test")
        await finish(engine, task_id)
        fetched = (await client.get(f"/mj/task/{task_id}/fetch")).content
    shown = json.loads(fetched)
    assert shown["mode"] == "RELAX" and shown["requestMode"] == "RELAX"
    assert shown["instanceId"] == ACCOUNT and shown["botType"] == "MID_JOURNEY"
    assert shown["accountFilter"] == {"instanceId": ACCOUNT, "remixAutoConsidered": True}
    assert shown["imageUrls"] == [{"url": shown["imageUrl"], "thumbnail": None}]
    assert shown["properties"]["finalPrompt"] == "a small cat"
    assert shown["buttons"] and shown["remixAutoSubmit"] is True
    async with engine.connect() as conn:
        payloads = (
            await conn.execute(
                select(deliveries.c.payload)
                .where(deliveries.c.task_id == task_id)
                .order_by(deliveries.c.seq)
            )
        ).scalars()
        payloads = list(payloads)
    assert payloads[-1] == fetched
    assert all("requestMode" in json.loads(p) for p in payloads)


async def test_trueai_fields_are_off_by_default(api, engine) -> None:
    async with api() as client:
        task_id = await _submit(client, "/mj-relax/mj/submit/imagine", {"prompt": "a cat"})
        await record_change(engine, task_id, {"mode": "relax"}, kind="test")
        shown = body(await client.get(f"/mj/task/{task_id}/fetch"))
    assert "requestMode" not in shown and "instanceId" not in shown
    assert shown["botType"] == "MID_JOURNEY"  # novicezk plus fields stay


async def _set_state(engine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE accounts SET job_mode = 'relax', remix = true, fast_minutes_left = 95.5,"
                " fast_time_remaining = '1.59/15.0 hours (10.61%)', subscription = 'Basic',"
                " queued_jobs = 1, running_jobs = 2, state_read_at = now(),"
                """ info = '{"Visibility Mode": "Public"}' WHERE id = :id"""
            ),
            {"id": ACCOUNT},
        )


async def test_account_routes_show_the_live_state_never_the_token(api, engine) -> None:
    await add_account(engine)
    await _set_state(engine)
    async with api(api_secret="s3cret") as client:
        listed = await client.get("/mj/account/list", headers=SECRET)
        one = await client.get(f"/mj/account/{ACCOUNT}/fetch", headers=SECRET)
        missing = await client.get("/mj/account/nope/fetch", headers=SECRET)
        refused = await client.get("/mj/account/list")
    for response in (listed, one):
        assert b"SECRET-TOKEN" not in response.content and b"userToken" not in response.content
    account = body(one)
    assert body(listed) == [account]
    assert account["mode"] == "RELAX" and account["defaultMode"] == "FAST"
    assert account["fastTimeRemaining"] == "1.59/15.0 hours (10.61%)"
    assert account["fastMinutesLeft"] == 95.5 and account["fastExhausted"] is False
    assert (account["remix"], account["remixAutoSubmit"]) == (True, True)
    assert (account["subscription"], account["queuedJobs"], account["runningJobs"]) == (
        "Basic",
        1,
        2,
    )
    assert account["info"] == {"Visibility Mode": "Public"} and account["stateReadAt"] > 0
    assert missing.status_code == 404 and body(missing)["code"] == 3
    assert refused.status_code == 401


async def test_the_admin_route_records_the_wish_behind_the_admin_secret(api, engine) -> None:
    await add_account(engine)
    path = f"/mj/admin/account/{ACCOUNT}/settings"
    async with api(api_secret="s3cret", admin_secret="adm1n") as client:
        async with no_writes(engine):
            # The API secret is not the admin's; refused before the body is read.
            for headers in ({}, SECRET, {"mj-api-secret": "adm1"}):
                refused = await client.post(path, json={"mode": "RELAX"}, headers=headers)
                assert refused.status_code == 401 and body(refused)["code"] == 401
                assert refused.headers.get("connection") == "close"
        for payload, why in [
            ({}, "mode, remix or remixAutoSubmit is required"),
            ({"mode": "SLOW"}, "mode参数错误"),
            ({"remix": "on"}, "remix参数错误"),
            ([1], "JSON 对象"),
        ]:
            reply = body(await client.post(path, json=payload, headers=ADMIN))
            assert reply["code"] == 4 and why in reply["description"], reply
        too_big = await client.post(path, content=b"{" + b" " * 5000 + b"}", headers=ADMIN)
        assert too_big.status_code == 413
        missing = await client.post("/mj/admin/account/nope/settings", json={"remix": True},
                                    headers=ADMIN)  # fmt: skip
        assert missing.status_code == 404 and body(missing)["code"] == 3

        reply = body(
            await client.post(
                path, json={"mode": "relax", "remix": True, "remixAutoSubmit": False}, headers=ADMIN
            )
        )
        assert reply["code"] == 1 and reply["result"] == ACCOUNT, reply
        assert reply["properties"]["account"]["defaultMode"] == "RELAX"
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(accounts).where(accounts.c.id == ACCOUNT))).mappings().one()
        )
    assert (row["mode"], row["remix_wanted"], row["remix_auto"]) == ("relax", True, False)


async def test_the_admin_route_takes_an_api_secret_when_no_admin_secret_is_set(api, engine) -> None:
    await add_account(engine)
    async with api(api_secret="s3cret") as client:
        reply = body(
            await client.post(
                f"/mj/admin/account/{ACCOUNT}/settings", json={"mode": "TURBO"}, headers=SECRET
            )
        )
        assert reply["code"] == 1, reply
        refused = await client.post(f"/mj/admin/account/{ACCOUNT}/settings", json={"mode": "FAST"})
        assert refused.status_code == 401


async def _remix_account(engine, *, remix: bool, auto: bool) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(accounts).where(accounts.c.id == ACCOUNT).values(remix=remix, remix_auto=auto)
        )


async def _grid(client, engine) -> tuple[str, list[str]]:
    """A finished imagine on the account: its id and its buttons' custom ids."""
    parent = await _submit(client, "/novicezk/mj/submit/imagine", {"prompt": "a small cat"})
    await finish(engine, parent)
    fetched = body(await client.get(f"/mj/task/{parent}/fetch"))
    return parent, [b["customId"] for b in fetched["buttons"]]


def _button(custom_ids: list[str], prefix: str) -> str:
    return next(c for c in custom_ids if c.startswith(prefix))


async def test_a_remix_press_answers_code_21_and_the_modal_submits_the_clients_prompt(
    api, engine
) -> None:
    await add_account(engine)
    await _remix_account(engine, remix=True, auto=False)
    async with api(novicezk_trueai_fields=True) as client:
        parent, custom_ids = await _grid(client, engine)
        v1 = _button(custom_ids, "MJ::JOB::variation::1")
        reply = body(
            await client.post("/mj/submit/action", json={"taskId": parent, "customId": v1})
        )
        assert reply["code"] == 21 and reply["description"] == "窗口等待", reply
        assert reply["properties"] == {
            "finalPrompt": "a small cat",
            "remix": True,
            "status": "MODAL",
        }
        waiting_id = reply["result"]
        shown = body(await client.get(f"/mj/task/{waiting_id}/fetch"))
        assert shown["status"] == "MODAL" and shown["remixModaling"] is True
        assert shown["properties"]["finalPrompt"] == "a small cat"
        waiting = await get_task(engine, waiting_id)
        assert waiting.account_id is None and waiting.action == "VARIATION"

        done = body(
            await client.post(
                "/mj/submit/modal", json={"taskId": waiting_id, "prompt": "a small fox"}
            )
        )
        assert done["code"] == 1, done
        queued = await get_task(engine, waiting_id)
        assert (queued.status, queued.prompt) == ("PENDING", "a small fox")
        assert queued.account_id == ACCOUNT
        assert queued.remix_auto is True  # the worker submits the remix modal with this prompt
        assert queued.params["modalPrompt"] == "a small fox"


@pytest.mark.parametrize(
    ("remix", "account_auto", "task_filter"),
    [
        (False, False, None),  # Remix off: no modal at all
        (True, True, None),  # the account auto-submits
        (True, False, {"remixAutoConsidered": True}),  # the task does
    ],
)
async def test_a_remix_press_runs_at_once_when_nobody_waits_for_the_client(
    api, engine, remix, account_auto, task_filter
) -> None:
    await add_account(engine)
    await _remix_account(engine, remix=remix, auto=account_auto)
    async with api() as client:
        parent, custom_ids = await _grid(client, engine)
        v1 = _button(custom_ids, "MJ::JOB::variation::1")
        payload = {"taskId": parent, "customId": v1, "accountFilter": task_filter}
        task_id = await _submit(client, "/mj/submit/action", payload)
    assert (await get_task(engine, task_id)).status == "PENDING"


async def test_discordxy_and_webman_remix_presses_are_submitted_for_them(api, engine) -> None:
    await add_account(engine)
    await _remix_account(engine, remix=True, auto=False)
    async with api() as client:
        parent, custom_ids = await _grid(client, engine)
        v2 = _button(custom_ids, "MJ::JOB::variation::2")
        dx = body(
            await client.post("/discordxy/mj/change", json={"taskId": parent, "action": "V1"})
        )
        wm = body(await client.post("/image/action", json={"taskId": parent, "customId": v2}))
    for task_id in (dx["result"], wm["taskId"]):
        task = await get_task(engine, task_id)
        assert (task.status, task.remix_auto) == ("PENDING", True)


async def test_the_admin_route_takes_an_admin_key_and_refuses_a_client_key(api, engine) -> None:
    await add_account(engine)
    admin_key = await add_key(engine, "ops", admin=True)
    client_key = await add_key(engine, "customer")
    path = f"/mj/admin/account/{ACCOUNT}/settings"
    async with api(api_secret="s3cret", admin_secret="adm1n") as client:
        async with no_writes(engine):
            refused = await client.post(path, json={"mode": "RELAX"}, headers=bearer(client_key))
            assert refused.status_code == 401, refused.text
        reply = body(await client.post(path, json={"mode": "RELAX"}, headers=bearer(admin_key)))
    assert reply["code"] == 1, reply
    assert reply["properties"]["account"]["defaultMode"] == "RELAX"
