"""The supervisor: configured accounts registered, accounts owned, one runner per owned account.

Wiring only; the behaviour lives in `ownership` (who drives which account), `runner` (what an
account does with its tasks), `sweeper` (no task is stranded: hand-over of disabled accounts,
overdue tasks) and `wakeup` (NOTIFY, with polling as the fallback).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.discord.errors import Unauthorized
from app.logs import register_secret
from app.storage.store import ObjectStore
from app.worker.archiver import Archiver
from app.worker.context import Nonces
from app.worker.health import connect_refused_reason, take_out_of_service
from app.worker.link import open_channel_reader, open_link
from app.worker.modal_expiry import run_modal_expiry
from app.worker.ownership import OwnedAccount, Ownership
from app.worker.retention import run_retention
from app.worker.runner import AccountRunner
from app.worker.sweeper import Sweeper
from app.worker.wake_routing import WakeRouter
from app.worker.wakeup import Wakeup
from db import accounts as account_queries
from db.leasing import LeasePolicy
from db.listen import listen_hub
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
        self.router = WakeRouter(settings.account_choice)
        self._nonces = Nonces()  # one for all runners: two accounts never share a nonce
        self.sweeper = Sweeper(
            engine,
            self.worker_id,
            lease_ttl_s=settings.account_lease_ttl_s,
            open_reader=lambda row: open_channel_reader(
                row, settings.discord_api_base, settings.discord_bot_ids
            ),
        )
        self.ownership = Ownership(
            engine,
            self.worker_id,
            settings.account_lease_ttl_s,
            self._run_account,
            on_released=self.sweeper.wake,
        )

    def _task_pending(self, payload: str) -> None:
        """A task became PENDING: one runner that can use it is woken (wake_routing)."""
        if self.router.notified(payload).account is not None:
            self.sweeper.wake()  # a follow-up pinned to a disabled account is handed over

    def _listening(self, _resumed: bool) -> None:
        """LISTEN (re)started: anything committed meanwhile was not heard; everyone looks."""
        self.router.wake_all()
        self.sweeper.wake()

    async def _listen(self, stop: asyncio.Event) -> None:
        hub = listen_hub(self.database_url)
        subscription = hub.subscribe(TASKS_CHANNEL, self._task_pending, self._listening)
        try:
            await stop.wait()
        finally:
            subscription.close()

    async def _run_account(self, account: OwnedAccount) -> None:
        try:
            await self._drive_account(account)
        except* Unauthorized as refused:
            # A bad token found over REST (GET /users/@me, /gateway…) ends the account the way
            # a gateway close 4004 does: disabled with the reason, its work handed over.
            first = refused.exceptions[0]
            detail = first.message if isinstance(first, Unauthorized) else str(first)
            reason = connect_refused_reason(detail)
            async with self.engine.begin() as conn:
                await take_out_of_service(conn, account.id, reason, int(time.time() * 1000))
            log.warning("account disabled", extra={"account": account.id, "reason": reason})

    async def _drive_account(self, account: OwnedAccount) -> None:
        wakeup = Wakeup()
        async with open_link(
            account.row, self.settings.discord_api_base, self.settings.discord_bot_ids
        ) as link:
            runner = AccountRunner(
                account,
                link,
                self.engine,
                wakeup=wakeup,
                nonces=self._nonces,
                poll_s=self.settings.poll_interval_s,
                reconcile_grace_s=self.settings.reconcile_grace_s,
                policy=LeasePolicy(
                    choice=self.settings.account_choice,
                    fallback_relax=self.settings.fast_fallback_relax,
                    wait_s=self.settings.account_choice_wait_s,
                ),
                state_refresh_s=self.settings.account_state_refresh_s,
                router=self.router,
            )
            await runner.run()

    async def run(self, stop: asyncio.Event) -> None:
        await register_configured_accounts(self.engine, self.settings)
        log.info("supervisor started", extra={"worker": self.worker_id})
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listen(stop))
            group.create_task(self.ownership.run(stop))
            group.create_task(self.sweeper.run(stop))
            store = ObjectStore(
                self.settings.storage_location(),
                public_url=self.settings.storage_public_url,
                presign_s=self.settings.storage_presign_s,
            )
            days = self.settings.retention_days
            group.create_task(run_retention(self.engine, days, stop, store))
            archiver = Archiver(
                self.engine,
                store,
                database_url=self.database_url,
                default_api_base=self.settings.discord_api_base,
            )
            group.create_task(archiver.run(stop))
            group.create_task(run_modal_expiry(self.engine, self.settings.modal_timeout_s, stop))
