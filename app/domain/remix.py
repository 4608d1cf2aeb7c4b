"""Remix: which buttons open Midjourney's remix modal, and who fills it in (spec v2 §2.2)."""

from __future__ import annotations

from app.domain.actions import Action

# With Remix on, these buttons open a modal with the job's prompt instead of starting a job.
REMIX_ACTIONS = frozenset(
    {
        Action.VARIATION,
        Action.VARIATION_SUBTLE,
        Action.VARIATION_STRONG,
        Action.REROLL,
        Action.PAN_LEFT,
        Action.PAN_RIGHT,
        Action.PAN_UP,
        Action.PAN_DOWN,
    }
)


def waits_for_client(
    action: str, *, remix_on: bool | None, account_auto: bool, task_auto: bool | None
) -> bool:
    """Does pressing this button leave the prompt to the client (novicezk code 21)? Only when
    the account's Remix is on (as last read) and neither the task nor, when the task says
    nothing, the account auto-submits remix modals."""
    if action not in REMIX_ACTIONS or not remix_on:
        return False
    return not (task_auto if task_auto is not None else account_auto)
