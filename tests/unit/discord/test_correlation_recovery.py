"""Adopted jobs (after a crash): matched by the keys their rows kept, never by a guess."""

from __future__ import annotations

from app.discord.correlation import SETTLED_MAX, Correlator
from app.discord.events import InteractionCreated, JobFinished, JobStarted, MessageMeta

PROMPT = "the same quiet lake at dawn"


def _final(message_id: str, interaction_id: str | None, job_hash: str) -> JobFinished:
    meta = MessageMeta(message_id=message_id, interaction_id=interaction_id)
    return JobFinished(meta=meta, prompt=f"{PROMPT} --v 6", job_hash=job_hash)


def _adopt(correlator: Correlator, key: str, nonce: str, **keys: str) -> None:
    correlator.adopt(key, nonce=nonce, now=float(nonce), prompt=PROMPT, **keys)  # type: ignore[arg-type]


def test_seeded_interaction_ids_tie_results_finishing_in_reverse_order() -> None:
    correlator = Correlator()
    for n in range(3):
        _adopt(correlator, f"t{n}", str(n), interaction_id=f"i{n}", message_id=f"m{n}")
    # The progress messages are gone; only the results remain, the last started first.
    for n in reversed(range(3)):
        assert correlator.observe(_final(f"f{n}", f"i{n}", f"h{n}")) == f"t{n}"


def test_a_seeded_job_hash_ties_a_result_that_names_no_interaction() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1", job_hash="ha")
    _adopt(correlator, "b", "2", job_hash="hb")
    assert correlator.observe(_final("f", None, "hb")) == "b"


def test_the_seeded_progress_message_ties_its_updates() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1")
    _adopt(correlator, "b", "2", message_id="mb")
    started = JobStarted(meta=MessageMeta(message_id="mb", interaction_id="ib"), prompt=PROMPT)
    assert correlator.observe(started) == "b"
    assert correlator.observe(_final("f", "ib", "hb")) == "b"  # the interaction it taught


def test_two_adopted_jobs_without_keys_do_not_guess() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1")
    _adopt(correlator, "b", "2")
    assert correlator.observe(_final("f", "ix", "hx")) is None
    assert correlator.observe(_final("g", None, "hy")) is None
    # Nothing was learned from the refused messages: each job is still open to its own.
    assert correlator.get("a").interaction_ids == set()  # type: ignore[union-attr]


def test_a_replayed_result_of_a_finished_task_is_not_claimed_by_an_adopted_job() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1")  # crashed before its interaction id was recorded
    # History: a task that finished before the crash (not tracked) with the same prompt; its row
    # kept its keys, which the takeover settles...
    correlator.settle(["i-finished", "f0", "h-finished"])
    assert correlator.observe(_final("f0", "i-finished", "h-finished")) is None
    # ...then a's own start message, which echoes its nonce, and a's result.
    started = JobStarted(meta=MessageMeta(message_id="ma", nonce="1", interaction_id="ia"))
    assert correlator.observe(started) == "a"
    assert correlator.observe(_final("fa", "ia", "ha")) == "a"


def test_an_adopted_job_alone_takes_a_result_that_names_no_interaction() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1")
    assert correlator.observe(_final("f", None, "ha")) == "a"


def test_a_fresh_job_next_to_an_adopted_one_makes_the_prompt_ambiguous() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1")
    correlator.track("b", nonce="2", now=2.0, prompt=PROMPT)
    assert correlator.observe(_final("f", None, "hx")) is None


def test_fresh_jobs_keep_the_earliest_first_prompt_fallback() -> None:
    correlator = Correlator()
    correlator.track("a", nonce="1", now=1.0, prompt=PROMPT)
    correlator.track("b", nonce="2", now=2.0, prompt=PROMPT)
    assert correlator.observe(_final("f", "ix", "hx")) == "a"


def test_the_last_interaction_learned_is_remembered_for_the_task_row() -> None:
    correlator = Correlator()
    correlator.track("a", nonce="1", now=1.0, prompt=PROMPT)
    assert correlator.observe(InteractionCreated(interaction_id="ia", nonce="1")) == "a"
    assert correlator.get("a").last_interaction_id == "ia"  # type: ignore[union-attr]
    _adopt(correlator, "b", "2", interaction_id="ib")
    assert correlator.get("b").last_interaction_id == "ib"  # type: ignore[union-attr]


def test_an_adopted_job_alone_takes_its_own_start_message_by_prompt() -> None:
    """Chaos: the crash fell between the send and the bot's first message. Alone with that
    prompt, the adopted job takes the message that names its (never recorded) interaction, so
    it is not left stuck until its timeout."""
    correlator = Correlator()
    _adopt(correlator, "a", "1")
    correlator.settle(["i-other", "h-other"])  # an ended task's keys, as the takeover finds them
    started = JobStarted(meta=MessageMeta(message_id="ma", interaction_id="ia"), prompt=PROMPT)
    assert correlator.observe(started) == "a"
    assert correlator.observe(_final("fa", "ia", "ha")) == "a"


def test_re_adopting_a_tracked_job_keeps_what_it_learned() -> None:
    # A new gateway session re-seeds the runner's own jobs from rows that may lag behind.
    correlator = Correlator()
    correlator.track("a", nonce="1", now=1.0, prompt=PROMPT)
    created = InteractionCreated(interaction_id="ia", nonce="1")
    assert correlator.observe(created) == "a"
    assert correlator.observe(_final("fa", "ia", "ha")) == "a"  # its result: the job is done
    _adopt(correlator, "a", "1")  # the row has not recorded the interaction id yet
    job = correlator.get("a")
    assert job is not None and job.adopted
    assert job.interaction_ids == {"ia"} and job.last_interaction_id == "ia"
    assert job.done and job.submitted_at == 1.0


def test_settled_keys_are_bounded_and_the_newest_still_refuse_their_messages() -> None:
    correlator = Correlator()
    _adopt(correlator, "a", "1")
    # Many gateway sessions, each replay settling the keys of a few hundred ended tasks.
    for session in range(SETTLED_MAX // 100):
        correlator.settle(f"s{session}-{n}" for n in range(300))
    assert correlator.settled_count == SETTLED_MAX
    # The newest replay's keys are kept: its ended task's result is still nobody's.
    newest = SETTLED_MAX // 100 - 1
    assert correlator.observe(_final(f"s{newest}-0", f"s{newest}-1", "h")) is None
