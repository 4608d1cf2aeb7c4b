"""What a hand-over finds in a disabled account's channel (pure): results, not guesses."""

from __future__ import annotations

from app.discord.events import (
    AccountError,
    AccountErrorKind,
    JobFinished,
    JobProgress,
    MessageMeta,
    TaskError,
    TaskErrorKind,
)
from app.domain.task import Task
from app.worker.handover import results_in_channel, why_out_of_service

NOW = 1_700_000_000_000


def _task(task_id: str, prompt: str, nonce: str | None, **kw: object) -> Task:
    return Task(
        id=task_id, dialect="novicezk", action="IMAGINE", status="SUBMITTED",
        prompt=prompt, nonce=nonce, start_time=NOW - 60_000, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _meta(message_id: str, **kw: object) -> MessageMeta:
    return MessageMeta(message_id=message_id, **kw)  # type: ignore[arg-type]


def test_a_finished_job_is_found_through_its_progress_message() -> None:
    fox = _task("1", "a red fox", "900001")
    owl = _task("2", "a grey owl", "900002")
    events = [
        JobProgress(meta=_meta("501", nonce="900001"), percent=0, job_hash="hash-fox"),
        JobProgress(meta=_meta("502", nonce="900002"), percent=0, job_hash="hash-owl"),
        JobProgress(meta=_meta("501"), percent=46, job_hash="hash-fox"),
        # The result is a new message: tied back by the job hash learnt from the progress.
        JobFinished(
            meta=_meta("601"),
            prompt="a red fox --v 6",
            image_url="http://cdn/fox.png",
            job_hash="hash-fox",
        ),
    ]
    found = results_in_channel([fox, owl], events, NOW)
    assert set(found) == {"1"}  # the owl is still running: no result, nothing made up
    change = found["1"]
    assert change.status == "SUCCESS" and change.kind == "finished"
    assert change.values["image_url"] == "http://cdn/fox.png"
    assert change.values["message_hash"] == "hash-fox"


def test_a_bot_error_is_a_result_but_an_account_error_is_not() -> None:
    banned = _task("1", "something forbidden", "900011")
    stuck = _task("2", "a quiet valley", "900012")
    events = [
        TaskError(
            meta=_meta("701", nonce="900011"),
            kind=TaskErrorKind.BANNED_PROMPT,
            title="Banned prompt",
            reason="Banned prompt detected",
        ),
        AccountError(
            meta=_meta("702", nonce="900012"),
            kind=AccountErrorKind.PENDING_MODERATION,
            title="Pending mod",
            reason="pending moderation",
        ),
    ]
    found = results_in_channel([banned, stuck], events, NOW)
    assert set(found) == {"1"}
    assert found["1"].status == "FAILURE"
    assert found["1"].values["fail_reason"] == "Banned prompt detected"


def test_a_task_never_sent_is_not_matched_by_prompt() -> None:
    unsent = _task("1", "a red fox", None)
    events = [JobFinished(meta=_meta("801"), prompt="a red fox", image_url="http://cdn/x.png")]
    assert results_in_channel([unsent], events, NOW) == {}


def test_the_reason_names_the_account_and_why() -> None:
    row = {"id": "acct-9", "enabled": False, "health": "ok", "health_reason": None}
    assert why_out_of_service(row) == "account acct-9 was disabled by an operator"
    row = {"id": "acct-9", "enabled": True, "health": "disabled", "health_reason": "4004"}
    assert why_out_of_service(row) == "account acct-9 was disabled: 4004"


def test_identical_prompts_are_tied_by_the_keys_their_rows_kept() -> None:
    # Progress messages are gone (deleted when each result was posted), the results came in the
    # reverse of the start order: the recorded interaction ids say whose each one is.
    first = _task("1", "the same lake", "900021", interaction_id="i1")
    second = _task("2", "the same lake", "900022", interaction_id="i2")
    unknown = _task("3", "the same lake", "900023")  # crashed before its interaction was known
    events = [
        JobFinished(meta=_meta(f"60{n}", interaction_id=f"i{n}"), prompt="the same lake",
                    image_url=f"http://cdn/{n}.png", job_hash=f"hash-{n}")
        for n in (3, 2, 1)
    ]  # fmt: skip
    ended = JobFinished(meta=_meta("599", interaction_id="i0"), prompt="the same lake",
                        image_url="http://cdn/0.png", job_hash="hash-0")  # fmt: skip
    found = results_in_channel(
        [first, second, unknown], [ended, *events], NOW, settled={"599", "i0", "hash-0"}
    )
    # 1 and 2 by their recorded interactions; the result of a task that ended earlier is not
    # claimed (its keys are settled); the third is the one candidate left for its own result.
    assert {key: change.values["message_hash"] for key, change in found.items()} == {
        "1": "hash-1",
        "2": "hash-2",
        "3": "hash-3",
    }


def test_an_ended_tasks_result_is_not_claimed_by_a_task_with_no_recorded_keys() -> None:
    unknown = _task("3", "the same lake", "900023")
    ended = JobFinished(meta=_meta("599", interaction_id="i0"), prompt="the same lake",
                        image_url="http://cdn/0.png", job_hash="hash-0")  # fmt: skip
    assert results_in_channel([unknown], [ended], NOW, settled={"599", "i0", "hash-0"}) == {}


def _row(*custom_ids: str) -> dict[str, object]:
    return {"type": 1, "components": [{"type": 2, "custom_id": c} for c in custom_ids]}


def _video_awaiting_clips() -> Task:
    grid = ("MJ::JOB::video_virtual_upscale::1::h", "MJ::JOB::video_virtual_upscale::2::h")
    return _task("9", "a kite", "900091").replace(
        action="ANIMATE", status="RUNNING", progress=99, message_id="5001", message_hash="h",
        buttons=[_row(*grid)], properties={"videoClips": 2, "videoClipUrls": {}},
    )  # fmt: skip


def _clip(number: int, message_id: str) -> JobFinished:
    extend = f"MJ::JOB::animate_low_extend::{number}::h"
    return JobFinished(
        meta=_meta(message_id, reference_message_id="5001"),
        prompt="a kite --video 1",
        video_url=f"http://cdn/h_{number - 1}.mp4",
        job_hash="h",
        components=(_row(extend),),
    )


def test_a_video_waiting_for_its_clips_succeeds_when_every_clip_is_in_the_channel() -> None:
    video = _video_awaiting_clips()
    recorded_grid = JobFinished(
        meta=_meta("5001"), prompt="a kite --video 1", image_url="http://cdn/h.webp", job_hash="h"
    )
    events = [recorded_grid, _clip(2, "5003"), _clip(1, "5002")]
    found = results_in_channel([video], events, NOW)
    change = found["9"]
    assert change.status == "SUCCESS" and change.values["video_url"] == "http://cdn/h_0.mp4"
    assert change.values["properties"]["videoClipUrls"] == {
        "1": "http://cdn/h_0.mp4",
        "2": "http://cdn/h_1.mp4",
    }


def test_a_video_missing_a_clip_is_no_result() -> None:
    # The hand-over then fails it with its reason: nothing is pressed on a disabled account.
    assert results_in_channel([_video_awaiting_clips()], [_clip(1, "5002")], NOW) == {}
