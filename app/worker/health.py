"""Account health, and the account-failure policy, written once.

What makes an account unusable until a human fixes it, and the reason it is disabled with:

- a fatal gateway close (4004 bad token, …): `gateway_fatal_reason`;
- a bot's account-level error (ban, captcha, pending moderation, no credits): its own reason;
- Discord refusing the token over REST: a 401 while connecting (`connect_refused_reason`, the
  supervisor), a 401 or 403 on a submit (`submit_refused_reason`, `REFUSING_ACCOUNT`).

Whatever the cause, `take_out_of_service` does the same in one transaction: the account is
disabled, its queue unassigned, its in-flight tasks back to the queue for a healthy account (the
bot will not finish them here) — except follow-ups, which only this account can press: they
fail, with the follow-ups queued on it; and so does a video waiting for its clips (its grid is
made; the clips are presses on the grid's message; a rerun elsewhere would be a second video).
A resumable gateway drop is `reconnecting`, never `disabled`. The sweeper's hand-over of an
operator-disabled account is in `handover`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import taskstore
from app.discord.errors import DiscordError, Forbidden, Unauthorized
from app.discord.gateway_events import GatewayEvent, GatewayFatal, Ready, Reconnecting, Resumed
from app.domain.status import TaskStatus
from app.domain.task import Task
from app.worker.inflight import InFlightTasks
from app.worker.ownership import OwnedAccount
from app.worker.video_translate import awaits_clips
from db import accounts as account_queries
from db import leasing, task_scans

log = logging.getLogger(__name__)

REFUSING_ACCOUNT = (Unauthorized, Forbidden)  # a submit refused for who sent it, not for what


def gateway_fatal_reason(event: GatewayFatal) -> str:
    return f"gateway closed with {event.close_code}: {event.reason}"


def connect_refused_reason(detail: str) -> str:
    return f"Discord refused the token (HTTP 401 when connecting): {detail}"


def submit_refused_reason(exc: DiscordError) -> str:
    return f"Discord refused the account: {exc}"


def failure_values(reason: str, now_ms: int) -> dict[str, Any]:
    return {"status": TaskStatus.FAILURE, "fail_reason": reason, "finish_time": now_ms}


def requeue_values() -> dict[str, Any]:
    """Back to the queue, and out of the old runner's hands: its fenced writes now miss."""
    return {"status": TaskStatus.PENDING, "account_id": None, "nonce": None,
            "leased_by": None, "fence": None}  # fmt: skip


CLIPS_PINNED = "a video's clips can only be fetched by the account that owns its grid"


def pinned_reason(why: str) -> str:
    return f"{why}; a follow-up can only run on the account that owns its parent's message"


async def fail_pinned_follow_ups(
    conn: AsyncConnection, account_id: str, why: str, now_ms: int
) -> int:
    """Follow-ups queued on this account fail now: no other account can press their buttons."""
    reason = pinned_reason(why)
    failed = 0
    for task_id in await task_scans.pinned_follow_ups(conn, account_id):
        done = await taskstore.record_change(
            conn, task_id, failure_values(reason, now_ms), kind="account_disabled",
            data={"reason": reason}, expected_statuses={TaskStatus.PENDING},
        )  # fmt: skip
        failed += done is not None
    return failed


async def take_out_of_service(
    conn: AsyncConnection, account_id: str, reason: str, now_ms: int
) -> None:
    """The account is unusable: disabled, queue unassigned, in-flight work moved."""
    await account_queries.set_health(conn, account_id, "disabled", reason)
    await leasing.unassign_queued(conn, account_id)
    why = f"account {account_id} is unusable: {reason}"
    await fail_pinned_follow_ups(conn, account_id, why, now_ms)
    for row in await task_scans.tasks_in_flight(conn, account_id):
        if row["parent_id"] is not None:
            # A follow-up needs its parent's message, which only this account can press.
            values = failure_values(f"account unusable: {reason}", now_ms)
            kind = "account_error"
        elif awaits_clips(Task.from_row(row)):
            # Its grid is made (and paid for): the clips are presses on the grid's message,
            # which only this account can make. Run again elsewhere it would be a second video.
            values = failure_values(f"account unusable: {reason}; {CLIPS_PINNED}", now_ms)
            kind = "account_error"
        else:
            values, kind = requeue_values(), "requeued"
        await taskstore.record_change(conn, row["id"], values, kind=kind, data={"reason": reason})


class AccountHealth:
    """One runner's view of its account: `ok`, `reconnecting` or `disabled` (then it stops)."""

    def __init__(
        self,
        account: OwnedAccount,
        engine: AsyncEngine,
        tasks: InFlightTasks,
        clock: Callable[[], float],
    ) -> None:
        self._account = account
        self._engine = engine
        self._tasks = tasks
        self._clock = clock
        self.state = str(account.row["health"])
        self.connected = asyncio.Event()  # a READY or RESUMED was seen
        self.unusable = asyncio.Event()  # disabled and handed over: the runner stops
        self._disabling = False

    @property
    def _log_extra(self) -> dict[str, Any]:
        return {"account": self._account.id, "fence": self._account.fence}

    @property
    def can_lease(self) -> bool:
        return self.connected.is_set() and self.state == "ok"

    async def on_connection(self, event: GatewayEvent) -> None:
        """A gateway event: a resumable drop is `reconnecting`; a fatal close disables."""
        if isinstance(event, Ready | Resumed):
            self.connected.set()
            await self._set("ok", None)
        elif isinstance(event, Reconnecting):
            await self._set("reconnecting", f"gateway closed ({event.close_code})")
        elif isinstance(event, GatewayFatal):
            await self.disable(gateway_fatal_reason(event))

    async def _set(self, health: str, reason: str | None) -> None:
        if health == self.state:
            return
        self.state = health
        async with self._engine.begin() as conn:
            await account_queries.set_health(
                conn,
                self._account.id,
                health,
                reason,
                owner=self._account.owner,
                fence=self._account.fence,
            )
        log.warning(
            "account health changed", extra={**self._log_extra, "health": health, "reason": reason}
        )

    async def disable(self, reason: str) -> None:
        """Take the account out of leasing at once, hand its work to healthy accounts, stop."""
        if self._disabling:
            return
        self._disabling = True
        # Shielded: the ownership loop drops a disabled account (cancelling this runner) and the
        # hand-over must not be cut in half by that.
        await asyncio.shield(self._take_out_of_service(reason))
        self.unusable.set()

    async def _take_out_of_service(self, reason: str) -> None:
        self.state = "disabled"
        async with self._engine.begin() as conn:
            await take_out_of_service(conn, self._account.id, reason, int(self._clock() * 1000))
        self._tasks.forget_all()
        log.warning("account disabled", extra={**self._log_extra, "reason": reason})
