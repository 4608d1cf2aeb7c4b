"""Which new callback bodies are worth sending (app/dialects/changes.py)."""

from __future__ import annotations

import json

from app.dialects.changes import shows_a_change


def body(**fields) -> bytes:
    task = {"id": "1", "status": "NOT_START", "progress": None, "imageUrl": None, "buttons": []}
    task.update(fields)
    return json.dumps(task).encode()


def test_the_first_callback_is_always_worth_sending() -> None:
    assert shows_a_change(None, body())


def test_identical_bytes_are_not() -> None:
    assert not shows_a_change(body(), body())


def test_timestamps_and_discord_ids_alone_are_not() -> None:
    before = body(startTime=None, properties={"notifyHook": "http://h/", "nonce": None})
    after = body(
        startTime=1796093275311,
        properties={"notifyHook": "http://h/", "nonce": "157", "discordInstanceId": "12"},
    )
    assert not shows_a_change(before, after)


def test_discordxy_envelope_bookkeeping_alone_is_not() -> None:
    def dx(**result) -> bytes:
        task = {"status": "Create", "progress": "0%", "messageId": "", "finalPrompt": ""}
        return json.dumps({"code": 0, "result": {**task, **result}, "message": "Success"}).encode()

    assert not shows_a_change(dx(), dx(messageId="1577", finalPrompt="a red fox"))
    assert shows_a_change(dx(), dx(status="Running"))


def test_status_progress_preview_result_and_failure_are() -> None:
    base = body()
    for change in (
        {"status": "SUBMITTED"},
        {"progress": "15%"},
        {"imageUrl": "http://cdn/preview.webp"},
        {"buttons": [{"customId": "MJ::JOB::upsample::1::h"}]},
        {"failReason": "banned prompt"},
        {"properties": {"customKey": "client-visible"}},
    ):
        assert shows_a_change(base, body(**change)), change


def test_a_body_that_is_not_json_is_compared_by_bytes() -> None:
    assert shows_a_change(b"not json", b"not json either")
    assert not shows_a_change(b"same", b"same")
