"""A task taken over from another owner, tracked with every correlation key its row kept.

Crash recovery and the hand-over of a disabled account both replay the channel's recent history
for tasks someone else sent. Seeded with the task's interaction id, progress message and job
hash, the replay ties each result to its own task exactly; without them it falls back to the
prompt, and identical prompts would swap results. The correlator refuses to guess for adopted
jobs (see `Correlator.adopt`).
"""

from __future__ import annotations

from app.discord.correlation import Correlator, TrackedJob
from app.domain.task import Task


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
