"""The work of an account that leaves service: nothing it held is left without a runner.

Two ways out of service, two hand-overs:

- Its own runner finds the account unusable (bad token, ban, captcha, no credits…):
  `health.take_out_of_service` disables it and, in the same transaction, unassigns its queue and
  sends its in-flight jobs back to the queue for a healthy account (the bot will not finish them
  here); follow-ups, which only this account can press, fail.
- An operator disables it (CLI, dashboard), or the runner that disabled it is gone: the account's
  owner lets go at its next heartbeat, and then `hand_over` — run by the sweeper of whichever
  worker gets there first — holds the account under a short lease of its own (so two workers
  never do it twice, and a live runner is never raced), and:
    * fails the follow-ups queued on it (PENDING or adopted): they can run on no other account;
    * sends jobs that never reached Discord (no nonce) back to the queue;
    * reads the account's channel (REST, with its token: an operator-disabled account can still
      read) and records any result the bot posted for the jobs in flight — the same replay the
      crash recovery does (a video waiting for its clips succeeds when every clip is there;
      nothing is pressed for the ones missing: the account is out of service);
    * fails the rest with a reason naming the account. If the channel cannot be read (a revoked
      token answers 401), the reason says so. Resubmitting elsewhere could run a job twice.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord.correlation import Correlator
from app.discord.events import BotEvent
from app.domain.status import is_final
from app.domain.task import Task
from app.worker import adoption
from app.worker import video_translate as video
from app.worker.health import fail_pinned_follow_ups, failure_values, pinned_reason, requeue_values
from app.worker.translate import Change, change_for_event
from db import accounts as account_queries
from db import leasing

log = logging.getLogger(__name__)
_TASK_FIELDS = frozenset(f.name for f in dataclasses.fields(Task))


class ChannelReader(Protocol):
    """What a hand-over needs from Discord: the account's recent channel messages, parsed."""

    async def recent_messages(self, limit: int = 50) -> list[dict[str, Any]]: ...

    def parse_message(self, message: dict[str, Any]) -> BotEvent: ...


ReaderFactory = Callable[[Mapping[str, Any]], AbstractAsyncContextManager[ChannelReader]]


def why_out_of_service(account: Mapping[str, Any]) -> str:
    """`account <id> was disabled …`, for reasons a client reads (never the token)."""
    if not account["enabled"]:
        return f"account {account['id']} was disabled by an operator"
    reason = account.get("health_reason")
    return f"account {account['id']} was disabled" + (f": {reason}" if reason else "")


def results_in_channel(
    tasks: Sequence[Task],
    events: Sequence[BotEvent],
    now_ms: int,
    settled: Iterable[str] = (),
) -> dict[str, Change]:
    """The final change each task's own messages show (oldest first), as crash recovery finds it.

    Pure. Tasks are tracked with every key their rows kept (`adoption.adopt`); an account-level
    error is not a result (`change_for_event` ignores it: the task fails with the hand-over's
    reason instead).
    """
    correlator = Correlator()
    correlator.settle(settled)  # keys of ended tasks whose messages are in `events`
    current = {task.id: task for task in tasks}
    for task in tasks:
        if task.nonce is None:
            continue
        adoption.adopt(correlator, task, task.nonce, (task.start_time or now_ms) / 1000)
    found: dict[str, Change] = {}
    for event in events:
        task_id = correlator.observe(event)
        if task_id is None or task_id in found:
            continue
        if video.awaits_clips(current[task_id]):
            # Its recorded grid and each clip are final messages of the same job: keep it open.
            _reopen(correlator, task_id)
        change = change_for_event(current[task_id], event, now_ms)
        if change is None:
            continue
        if change.status is not None and is_final(change.status):
            found[task_id] = change
            continue
        # Progress, or one clip of a video: later messages are judged from where the job got to.
        current[task_id] = current[task_id].replace(**_task_fields(change.values))
    return found


def _task_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in _TASK_FIELDS}


def _reopen(correlator: Correlator, task_id: str) -> None:
    job = correlator.get(task_id)
    if job is not None:
        job.done = False


async def _read_channel(
    account: Mapping[str, Any], open_reader: ReaderFactory
) -> list[BotEvent] | str:
    """The channel's recent messages as events, oldest first; or why they could not be read."""
    try:
        async with open_reader(account) as reader:
            messages = await reader.recent_messages(adoption.RECENT_MESSAGES)
            ordered = sorted(messages, key=lambda m: int(m.get("id", 0)))
            return [reader.parse_message(message) for message in ordered]
    except Exception as exc:  # a revoked token (401), Discord unreachable, a bad answer…
        # The REST client already retried what is worth retrying; the class names the cause
        # without echoing anything the request carried.
        log.warning("could not read the channel of a disabled account: %s", type(exc).__name__)
        return f"its channel could not be read ({type(exc).__name__})"


async def hand_over(
    engine: AsyncEngine,
    account_id: str,
    *,
    owner: str,
    ttl_s: float,
    open_reader: ReaderFactory,
    clock: Callable[[], float] = time.time,
) -> int:
    """Hand over an out-of-service account's tasks; how many tasks changed (0: not ours to do)."""
    async with engine.begin() as conn:
        account = await account_queries.claim_for_hand_over(conn, account_id, owner, ttl_s)
    if account is None:
        return 0  # held by someone (its last owner letting go, or another sweeper)
    fence = int(account["fence"])
    try:
        return await _hand_over_held(engine, dict(account), owner, fence, open_reader, clock)
    finally:
        async with engine.begin() as conn:
            await account_queries.release_lease(conn, account_id, owner, fence)


async def _hand_over_held(
    engine: AsyncEngine,
    account: Mapping[str, Any],
    owner: str,
    fence: int,
    open_reader: ReaderFactory,
    clock: Callable[[], float],
) -> int:
    account_id = str(account["id"])
    why = why_out_of_service(account)
    changed = 0
    in_flight: list[Task] = []
    async with engine.begin() as conn:
        await leasing.unassign_queued(conn, account_id)
        now_ms = int(clock() * 1000)
        changed += await fail_pinned_follow_ups(conn, account_id, why, now_ms)
        stuck = pinned_reason(why)
        adopted = await leasing.adopt_tasks(conn, account_id=account_id, owner=owner, fence=fence)
        for row in adopted:
            task = Task.from_row(row)
            if task.nonce is not None:
                in_flight.append(task)
                continue
            # Never sent: nothing on Discord. A new job runs elsewhere; a follow-up cannot.
            values, kind = (
                (failure_values(stuck, now_ms), "account_disabled")
                if task.parent_id is not None
                else (requeue_values(), "requeued")
            )
            done = await taskstore.record_change(
                conn, task.id, values, kind=kind, data={"reason": why},
                expected_fence=fence, expected_account_id=account_id,
            )  # fmt: skip
            changed += done is not None
    if in_flight:
        changed += await _settle_in_flight(
            engine, account, fence, in_flight, why, open_reader, clock
        )
    log.warning(
        "tasks of an out-of-service account handed over",
        extra={"account": account_id, "tasks": changed, "reason": why},
    )
    return changed


async def _settle_in_flight(
    engine: AsyncEngine,
    account: Mapping[str, Any],
    fence: int,
    tasks: Sequence[Task],
    why: str,
    open_reader: ReaderFactory,
    clock: Callable[[], float],
) -> int:
    """Results found in the channel are recorded; the other jobs fail with the reason."""
    account_id = str(account["id"])
    events = await _read_channel(account, open_reader)
    now_ms = int(clock() * 1000)
    if isinstance(events, str):
        results: dict[str, Change] = {}
        reason = f"{why} while this task was in flight, and {events}"
    else:
        settled = await adoption.settled_keys(engine, events)
        results = results_in_channel(tasks, events, now_ms, settled)
        reason = f"{why} while this task was in flight; its result is not in the channel"
    changed = 0
    for task in tasks:
        change = results.get(task.id)
        if change is not None:
            values, kind, data = change.values, change.kind, {**change.data, "reconciled": True}
        else:
            values, kind, data = (
                failure_values(reason, now_ms),
                "account_disabled",
                {"reason": reason},
            )
        done = await taskstore.record_change(
            engine, task.id, values, kind=kind, data=data,
            expected_fence=fence, expected_account_id=account_id,
        )  # fmt: skip
        changed += done is not None
    return changed
