"""Identical prompts: a message naming an interaction never goes to a job with another one."""

from __future__ import annotations

from app.discord.correlation import Correlator
from app.discord.events import InteractionCreated, JobFinished, JobStarted, MessageMeta


def test_message_with_unknown_interaction_is_not_claimed_by_a_job_with_its_own() -> None:
    correlator = Correlator()
    correlator.track("a", nonce="1", now=1.0, prompt="the same lake")
    correlator.track("b", nonce="2", now=2.0, prompt="the same lake")
    assert correlator.observe(InteractionCreated(interaction_id="i-a", nonce="1")) == "a"
    # b's interaction event has not been seen; a message of b's interaction arrives first.
    started = JobStarted(
        meta=MessageMeta(message_id="m-b", interaction_id="i-b"), prompt="the same lake"
    )
    assert correlator.observe(started) == "b"
    finished = JobFinished(
        meta=MessageMeta(message_id="f-b", interaction_id="i-b"), prompt="the same lake"
    )
    assert correlator.observe(finished) == "b"
