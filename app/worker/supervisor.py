"""The supervisor: configured accounts registered, accounts owned, one runner per owned account.

Wiring only; the behaviour lives in `ownership` (who drives which account), `runner` (what an
account does with its tasks) and `wakeup` (NOTIFY, with polling as the fallback).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.logs import register_secret
from app.worker.discord_link import open_link
from app.worker.modal_expiry import run_modal_expiry
from app.worker.ownership import OwnedAccount, Ownership
from app.worker.retention import run_retention
from app.worker.runner import AccountRunner
from app.worker.wakeup import Listener, Wakeup
from db import accounts as account_queries
from db.tasks import TASKS_CHANNEL

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def register_configured_accounts(engine: AsyncEngine, settings: Settings) -> None:
    """MJRELAY_ACCOUNTS (or the config file) wins over earlier values of the same accounts."""
    if not settings.accounts:
        return
    async with engine.begin() as conn:
        for spec in settings.accounts:
            register_secret(spec.token)
            await account_queries.upsert_account(conn, spec.row())
    log.info("configured accounts registered", extra={"accounts": len(settings.accounts)})


class Supervisor:
    def __init__(self, settings: Settings, database_url: str, engine: AsyncEngine) -> None:
        self.settings = settings
        self.database_url = database_url
        self.engine = engine
        self.worker_id = settings.worker_id or new_worker_id()
        self._wakeups: set[Wakeup] = set()
        self.ownership = Ownership(
            engine, self.worker_id, settings.account_lease_ttl_s, self._run_account
        )

    def _wake_all(self, channel: str) -> None:
        for wakeup in self._wakeups:
            wakeup.fire()

    async def _run_account(self, account: OwnedAccount) -> None:
        wakeup = Wakeup()
        self._wakeups.add(wakeup)
        try:
            async with open_link(
                account.row, self.settings.discord_api_base, self.settings.discord_bot_ids
            ) as link:
                runner = AccountRunner(
                    account,
                    link,
                    self.engine,
                    wakeup=wakeup,
                    poll_s=self.settings.poll_interval_s,
                    reconcile_grace_s=self.settings.reconcile_grace_s,
                )
                await runner.run()
        finally:
            self._wakeups.discard(wakeup)

    async def run(self, stop: asyncio.Event) -> None:
        await register_configured_accounts(self.engine, self.settings)
        log.info("supervisor started", extra={"worker": self.worker_id})
        listener = Listener(self.database_url, [TASKS_CHANNEL], self._wake_all)
        async with asyncio.TaskGroup() as group:
            group.create_task(listener.run(stop))
            group.create_task(self.ownership.run(stop))
            group.create_task(run_retention(self.engine, self.settings.retention_days, stop))
            group.create_task(run_modal_expiry(self.engine, self.settings.modal_timeout_s, stop))
