"""Every file in tests/fixtures/api, parsed or rendered by the dialect it belongs to."""

from __future__ import annotations

import json
from typing import Any

from app.dialects import (
    discordxy,
    discordxy_requests,
    novicezk,
    novicezk_requests,
    render_callback,
    webman,
)
from app.domain import buttons as btn
from app.domain.actions import Action, Bot
from app.domain.errors import CommandError, ErrorKind
from app.domain.limits import InputLimits
from app.domain.task import Task
from tests.fixtures import API_FIXTURES

FIXTURES = API_FIXTURES
TESTED: set[str] = set()


def load(name: str) -> Any:
    TESTED.add(name)
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_discordxy_imagine_request() -> None:
    cmd = discordxy_requests.parse_imagine(load("discordxy.mj-imagine.request.json"))
    assert (cmd.action, cmd.prompt, cmd.dialect) == (Action.IMAGINE, "a small cat", "discordxy")
    assert not novicezk_requests.is_novicezk_body(load("discordxy.mj-imagine.request.json"))


def test_discordxy_imagine_with_image_url_keeps_the_url_in_the_prompt() -> None:
    cmd = discordxy_requests.parse_imagine(load("discordxy.mj-imagine-with-image-url.request.json"))
    assert cmd.prompt == "http://www.xxx.com/1.jpg runing on the sky"
    assert cmd.images == []  # Midjourney fetches prompt URLs itself


def test_discordxy_change_request() -> None:
    body = load("discordxy.mj-change.request.json")
    cmd = discordxy_requests.parse_change(body)
    assert (cmd.parent_id, cmd.action, cmd.index) == ("1211421713496994992", Action.VARIATION, 4)
    assert not novicezk_requests.is_novicezk_body(body)


def test_discordxy_submit_response() -> None:
    expected = load("discordxy.mj-submit.response.json")
    task = Task(id="1211421713496994992", dialect="discordxy", action="IMAGINE")
    rendered = discordxy.submitted(task)
    assert json.loads(rendered) == expected
    assert list(json.loads(rendered)) == list(expected)  # code, result, message


def _status_task(result: dict[str, Any], **kw: Any) -> Task:
    return Task(
        id="1211421713496994992",
        dialect="discordxy",
        action=kw.pop("action", "IMAGINE"),
        status="SUCCESS",
        prompt=result["prompt"],
        final_prompt=result["finalPrompt"],
        account_id=result["channelId"],
        nonce=result["nonce"],
        message_id=result["messageId"],
        message_hash=result["messageHash"],
        image_url=result["imageRawUrl"],
        submit_time=result["submitTime"] * 1000,
        start_time=result["startTime"] * 1000 + 250,
        finish_time=result["finishTime"] * 1000 + 999,
        progress=100,
        properties={"progressMessageId": result["referenceMessageId"]},
        **kw,
    )


def _assert_status_matches(rendered: bytes, expected: dict[str, Any]) -> None:
    got = json.loads(rendered)
    assert (got["code"], got["message"]) == (expected["code"], expected["message"])
    for key, value in expected["result"].items():
        if key == "imageUrl":  # the fixture's CDN host is masked; ours is the same raw URL
            continue
        assert got["result"][key] == value, key
    assert list(got["result"]) == sorted(got["result"])  # Go marshals map keys sorted
    assert got["result"]["id"] == "1211421713496994992"  # our extension: the task id


def test_discordxy_status_imagine_success() -> None:
    expected = load("discordxy.mj-status-imagine-success.response.json")
    task = _status_task(expected["result"])
    _assert_status_matches(discordxy.task_bytes(task), expected)
    assert "params" not in json.loads(discordxy.task_bytes(task))["result"]


def test_discordxy_status_variation_success() -> None:
    expected = load("discordxy.mj-status-variation-success.response.json")
    result = expected["result"]
    task = _status_task(
        result,
        action="VARIATION",
        parent_id="1211421713496994991",
        params={
            "customId": result["params"]["customId"],
            "index": 4,
            "messageId": result["params"]["messageId"],
        },
    )
    _assert_status_matches(discordxy.task_bytes(task), expected)


def test_discordxy_config_maps_onto_accounts() -> None:
    config = load("discordxy.config.json")
    names = {a["name"] for acct in config["discord"]["accounts"] for a in acct["action"]}
    assert names <= {b.value for b in Bot}  # "mj" and "pika" are the bots a task can target
    assert config["discord"]["proxy-cdn"] == "https://cdn.discordapp.com"


def test_dooy_submit_imagine_request_is_novicezk() -> None:
    body = load("dooy-client.submit-imagine.request.json")
    assert novicezk_requests.is_novicezk_body(body)
    cmd = novicezk_requests.parse_imagine(body, InputLimits(image_bytes=1024))
    assert (cmd.prompt, cmd.images, cmd.extra.bot_type) == ("a small cat", [], "MID_JOURNEY")
    assert cmd.extra.notify_url is None and cmd.extra.client_state == ""


def test_novicezk_describe_success_task() -> None:
    expected = load("novicezk.describe-success.task.json")
    task = Task(
        id=expected["id"],
        dialect="novicezk",
        action="DESCRIBE",
        status="SUCCESS",
        image_url=expected["imageUrl"],
        description=expected["properties"]["finalPrompt"],
    )
    got = json.loads(novicezk.task_bytes(task))
    for key in ("id", "action", "status", "description", "imageUrl"):
        assert got[key] == expected[key], key
    assert got["properties"]["finalPrompt"] == expected["properties"]["finalPrompt"]
    assert got["prompt"] == got["promptEn"] == expected["properties"]["finalPrompt"]


def test_novicezk_notify_hook_payload_is_the_task_json() -> None:
    expected = load("novicezk.notify-hook.payload.json")
    task = Task(
        id=expected["id"],
        dialect="novicezk",
        action="IMAGINE",
        status="SUCCESS",
        prompt=expected["prompt"],
        prompt_en=expected["promptEn"],
        final_prompt=expected["properties"]["finalPrompt"],
        submit_time=expected["submitTime"],
        start_time=expected["startTime"],
        finish_time=expected["finishTime"],
        image_url=expected["imageUrl"],
        progress=100,
    )
    payload = render_callback(task)
    assert payload == novicezk.task_bytes(task)
    got = json.loads(payload)
    for key, value in expected.items():
        assert got[key] == value, key
    assert got["buttons"] == []  # plus's doc shows the same object plus "buttons": []


def test_novicezk_submit_results() -> None:
    expected = {
        item["code"]: item for item in load("novicezk.submit-results.codes-1-21-22-23-24.json")
    }
    ok = json.loads(
        novicezk.submitted(
            Task(
                id="8498455807619990",
                dialect="novicezk",
                action="IMAGINE",
                account_id="1118138338562560102",
            )
        )
    )
    assert set(ok) == set(expected[1])
    assert (ok["code"], ok["result"], ok["properties"]) == (
        1,
        expected[1]["result"],
        expected[1]["properties"],
    )
    assert ok["description"] == "提交成功"  # what v2.6.3's code says (the doc shows 成功)
    modal = json.loads(
        novicezk.submitted(
            Task(id="0741798445574458", dialect="novicezk", action="ZOOM_CUSTOM", status="MODAL")
        )
    )
    assert (modal["code"], modal["result"]) == (21, "0741798445574458")  # plus meaning of 21
    status, banned = novicezk.error_body(
        CommandError(ErrorKind.BANNED, "x", word="nude", prompt="nude body")
    )
    got = json.loads(banned)
    assert status == 200 and got.pop("result") is None
    assert got == expected[24]
    # 22 (queued) and 23 (queue full) are not produced: tasks wait in PostgreSQL (docs/api.md).
    assert set(expected) == {1, 21, 22, 23, 24}


def test_plus_submit_action_request() -> None:
    cmd = novicezk_requests.parse_action(load("plus.submit-action.request.json"))
    assert cmd.parent_id == "1689216801333574"
    assert btn.classify(cmd.custom_id).action == Action.REROLL


def test_plus_modal_required_response() -> None:
    expected = load("plus.submit-action.modal-required-21.response.json")
    task = Task(id=expected["result"], dialect="novicezk", action="ZOOM_CUSTOM", status="MODAL")
    got = json.loads(novicezk.submitted(task))
    assert {k: got[k] for k in expected} == expected


def test_plus_submit_modal_request() -> None:
    cmd = novicezk_requests.parse_modal(
        load("plus.submit-modal.request.json"), InputLimits(image_bytes=1024)
    )
    assert (cmd.task_id, cmd.prompt, cmd.mask) == ("1689228047868174", "Cat", None)


def test_plus_image_seed_response() -> None:
    expected = load("plus.task-image-seed.response.json")
    got = json.loads(novicezk.submit_body(1, "成功", "636646138"))
    assert {k: got[k] for k in expected} == expected


def test_every_fixture_is_tested() -> None:
    names = {p.name for p in FIXTURES.glob("*.json")}
    assert names, f"no fixtures at {FIXTURES}"
    assert names == TESTED, sorted(names - TESTED)


def test_webman_task_json_matches_spec_example() -> None:
    """spec §A.3 example (constructed from webman's source): key order and value types."""
    task = Task(
        id="1715241234567123456",
        dialect="webman",
        action="IMAGINE",
        status="RUNNING",
        prompt="a small cat",
        final_prompt="a small cat",
        progress=46,
        preview_url="https://cdn.discordapp.com/attachments/1/2/grid_0.webp",
        submit_time=1715241234567,
        start_time=1715241235001,
        nonce="1715241234567123456",
        message_id="1238",
        account_id="1134",
    )
    got = json.loads(webman.task_bytes(task))
    assert list(got) == [
        "id",
        "action",
        "status",
        "submitTime",
        "startTime",
        "finishTime",
        "progress",
        "imageUrl",
        "imageRawUrl",
        "prompt",
        "finalPrompt",
        "params",
        "images",
        "attachments",
        "description",
        "failReason",
        "messageHash",
        "nonce",
        "messageId",
        "discordId",
        "data",
        "buttons",
    ]
    assert (got["status"], got["progress"], got["submitTime"]) == ("RUNNING", "46%", 1715241234)
    assert got["params"] == [] and got["data"] == [] and got["finishTime"] is None
    fetch = webman.fetch_body(task)
    assert fetch == b'{"code":0,"msg":"success","data":' + render_callback(task) + b"}"
