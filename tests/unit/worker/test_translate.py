from __future__ import annotations

import pytest

from app.discord.events import (
    AccountError,
    AccountErrorKind,
    Described,
    InteractionFailed,
    JobFinished,
    JobProgress,
    JobStarted,
    MessageMeta,
    TaskError,
    TaskErrorKind,
    Unknown,
)
from app.domain.task import Task
from app.worker.translate import change_for_event

NOW = 1_700_000_000_000
META = MessageMeta(message_id="1300000000000000301", flags=0)


def _task(status: str = "SUBMITTED", **kw) -> Task:
    return Task(id="1", dialect="novicezk", action="IMAGINE", status=status, prompt="a cat", **kw)


def test_progress_moves_to_running_with_preview() -> None:
    event = JobProgress(meta=META, percent=31, preview_url="http://cdn/p.webp", job_hash="h")
    change = change_for_event(_task(), event, NOW)
    assert change is not None
    assert change.values["status"] == "RUNNING"
    assert change.values["progress"] == 31
    assert change.values["preview_url"] == "http://cdn/p.webp"
    assert change.kind == "progress"


@pytest.mark.parametrize("percent", [10, 31], ids=["older", "repeat"])
def test_stale_progress_is_no_change(percent: int) -> None:
    task = _task(status="RUNNING", progress=31)
    assert change_for_event(task, JobProgress(meta=META, percent=percent), NOW) is None


def test_finished_sets_result_buttons_and_time() -> None:
    components = ({"type": 1, "components": [{"type": 2, "custom_id": "MJ::JOB::upsample::1::h"}]},)
    event = JobFinished(
        meta=META,
        prompt="a cat --v 6",
        image_url="http://cdn/grid.png",
        job_hash="h",
        components=components,
    )
    change = change_for_event(_task(status="RUNNING", progress=90), event, NOW)
    assert change is not None
    assert change.values["status"] == "SUCCESS"
    assert change.values["image_url"] == "http://cdn/grid.png"
    assert change.values["message_hash"] == "h"
    assert change.values["buttons"] == list(components)
    assert change.values["final_prompt"] == "a cat --v 6"
    assert change.values["finish_time"] == NOW
    assert change.values["message_id"] == META.message_id


def test_nothing_changes_a_finished_task() -> None:
    event = JobFinished(meta=META, image_url="http://cdn/x.png")
    assert change_for_event(_task(status="SUCCESS"), event, NOW) is None


def test_bot_task_error_fails_with_reason() -> None:
    event = TaskError(
        meta=META, kind=TaskErrorKind.BANNED_PROMPT, title="Banned prompt", reason="Banned prompt"
    )
    change = change_for_event(_task(), event, NOW)
    assert change is not None
    assert change.values["status"] == "FAILURE"
    assert change.values["fail_reason"] == "Banned prompt"


def test_interaction_failed_fails() -> None:
    event = InteractionFailed(interaction_id="1", nonce="2", reason_code=2)
    change = change_for_event(_task(), event, NOW)
    assert change is not None and change.values["status"] == "FAILURE"


def test_account_error_changes_no_task_by_itself() -> None:
    """The account-failure policy (requeue, or fail a follow-up) is `health`'s, for all tasks."""
    event = AccountError(
        meta=META, kind=AccountErrorKind.CAPTCHA, title="Action needed", reason="captcha"
    )
    assert change_for_event(_task(account_id="a"), event, NOW) is None
    assert change_for_event(_task(parent_id="p"), event, NOW) is None


def test_described_succeeds_with_prompts() -> None:
    event = Described(meta=META, prompts=("one", "two", "three", "four"), image_url="http://i")
    change = change_for_event(_task(), event, NOW)
    assert change is not None
    assert change.values["description"].count("\n\n") == 3
    assert change.values["properties"]["prompts"] == ["one", "two", "three", "four"]


def test_started_records_progress_message() -> None:
    change = change_for_event(_task(status="STARTED"), JobStarted(meta=META), NOW)
    assert change is not None
    assert change.values == {"message_id": META.message_id, "status": "SUBMITTED"}


def test_unknown_event_is_no_change() -> None:
    assert change_for_event(_task(), Unknown(event_type="TYPING_START", reason="x"), NOW) is None


def test_the_bots_messages_record_the_interaction_they_name() -> None:
    # A new owner after a crash ties the task's result to it by this id (not by its prompt).
    meta = MessageMeta(message_id="1300000000000000301", interaction_id="1300000000000000299")
    started = change_for_event(_task(status="STARTED"), JobStarted(meta=meta), NOW)
    progress = change_for_event(_task(), JobProgress(meta=meta, percent=15, job_hash="h"), NOW)
    assert started is not None and started.values["interaction_id"] == "1300000000000000299"
    assert progress is not None and progress.values["interaction_id"] == "1300000000000000299"
    # A message naming no interaction leaves the recorded one alone.
    progress = change_for_event(_task(), JobProgress(meta=META, percent=15), NOW)
    assert progress is not None and "interaction_id" not in progress.values
