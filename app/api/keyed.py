"""Writing a new task as its caller: the client key's mark and quota, the `Idempotency-Key`.

`store_task` writes the task with its key's quota (counted by app/taskstore.py in the statement
or transaction that inserts it: db/api_keys.py `ADMIT_CTES`) and, with an `Idempotency-Key`, in
one transaction with, in this order: the idempotency claim (a concurrent identical retry waits on
its unique index, then reads the committed task), the task, its quota, the idempotency row's
task id. Docs: docs/keys.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.api.callers import Caller
from app.domain.errors import CommandError, ErrorKind
from app.domain.task import Task
from db import api_keys, idempotency


@dataclass(frozen=True)
class Idempotency:
    """An `Idempotency-Key` and the hash of the request it came with."""

    key: str
    request_hash: str


def owned(task: Task, caller: Caller) -> Task:
    """`task` marked with the caller's key (its reader, its quota, its accounts)."""
    key = caller.key
    if key is None:
        return task
    accounts = list(key.accounts) if key.accounts else None
    return task.replace(key_id=key.id, key_accounts=accounts)


async def _replayed(
    engine: AsyncEngine, earlier: idempotency.Earlier | None, idem: Idempotency
) -> Task | None:
    if earlier is None:
        return None
    if earlier.request_hash != idem.request_hash:
        raise CommandError(
            ErrorKind.IDEMPOTENCY_CONFLICT,
            f"Idempotency-Key {idem.key!r} was already used with a different request",
        )
    if earlier.task_id is None:
        return None
    return await taskstore.get_task(engine, earlier.task_id)


async def earlier_task(
    engine: AsyncEngine, caller: Caller, idem: Idempotency | None
) -> Task | None:
    """The task an earlier submit with this `Idempotency-Key` created, if any (24 h); the key
    used with another request is a conflict."""
    if idem is None:
        return None
    async with engine.connect() as conn:
        earlier = await idempotency.lookup(conn, caller.scope, idem.key)
    return await _replayed(engine, earlier, idem)


async def store_task(
    engine: AsyncEngine,
    caller: Caller,
    task: Task,
    files: list[Any],
    new_id: Callable[[], str],
    idem: Idempotency | None,
) -> Task:
    """Write the new task with its idempotency key and its key's quota in one transaction; an
    identical retry (same `Idempotency-Key` and request) gets the first task instead."""
    task = owned(task, caller)
    try:
        if idem is None:  # the task alone: its own statement or transaction (app/taskstore.py)
            return await taskstore.create_task(engine, task, files=files, new_id=new_id)
        async with engine.begin() as conn:
            earlier = await idempotency.claim(conn, caller.scope, idem.key, idem.request_hash)
            if earlier is None:
                created = await taskstore.create_task(conn, task, files=files, new_id=new_id)
                await idempotency.settle(conn, caller.scope, idem.key, created.id)
                return created
    except api_keys.QuotaRefused as refused:
        if refused.refusal.unauthorized:  # disabled or expired since this process looked it up
            raise CommandError(ErrorKind.UNAUTHORIZED, refused.refusal.reason) from None
        key_name = caller.key.name if caller.key is not None else "?"
        raise CommandError(
            ErrorKind.QUOTA_EXCEEDED,
            f"API key {key_name}: {refused.refusal.reason}",
            retry_after=refused.refusal.retry_after_s,
        ) from None
    replayed = await _replayed(engine, earlier, idem)
    if replayed is None:
        raise CommandError(ErrorKind.WRONG_STATE, "the first submit with this key is gone")
    return replayed
