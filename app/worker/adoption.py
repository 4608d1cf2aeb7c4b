"""A task taken over from another owner, tracked with every correlation key its row kept.

Crash recovery and the hand-over of a disabled account both replay the channel's recent history
for tasks someone else sent. Seeded with the task's interaction id, progress message and job
hash, the replay ties each result to its own task exactly. Messages of tasks that already ended
are told apart by the keys their rows kept (`settle_replay`); what is left may fall back to the
prompt, and the correlator refuses that guess when identical prompts make it ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from app.discord.correlation import Correlator, TrackedJob
from app.discord.events import BotEvent, JobFinished, JobProgress, MessageEvent
from app.domain.task import Task
from db import task_scans

RECENT_MESSAGES = 100  # how much of the channel a takeover or a hand-over replays


def adopt(correlator: Correlator, task: Task, nonce: str, started_s: float) -> TrackedJob:
    """Track `task` (sent with `nonce` by a previous owner) in `correlator`."""
    return correlator.adopt(
        task.id,
        nonce=nonce,
        now=started_s,
        prompt=task.prompt_en or task.prompt or None,
        parent_message_id=task.params.get("messageId") if task.parent_id else None,
        interaction_id=task.interaction_id,
        message_id=task.message_id,
        job_hash=task.message_hash,
    )


def replay_keys(events: Sequence[BotEvent]) -> tuple[list[str], list[str]]:
    """Message ids and job hashes the replayed messages carry."""
    message_ids = [e.meta.message_id for e in events if isinstance(e, MessageEvent)]
    hashes = [e.job_hash for e in events if isinstance(e, JobProgress | JobFinished)]
    return [m for m in message_ids if m], [h for h in hashes if h]


async def settled_keys(engine: AsyncEngine, events: Sequence[BotEvent]) -> set[str]:
    """The keys of ended tasks whose messages are among `events` (for `Correlator.settle`)."""
    message_ids, job_hashes = replay_keys(events)
    async with engine.connect() as conn:
        return await task_scans.settled_keys(conn, message_ids=message_ids, job_hashes=job_hashes)


async def settle_replay(
    engine: AsyncEngine, correlator: Correlator, events: Sequence[BotEvent]
) -> None:
    """Teach `correlator` the keys of ended tasks whose messages are among `events`."""
    correlator.settle(await settled_keys(engine, events))
