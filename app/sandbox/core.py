"""The sandbox's shared state and wiring: accounts, stores, CDN, gateway, bots, faults."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import uuid
from collections.abc import Coroutine
from typing import Any

from app.sandbox.accounts import AccountState, SandboxAccount, make_accounts
from app.sandbox.cdn import Cdn
from app.sandbox.faults import ACCOUNT_KINDS, ARMED_KINDS, FaultError, Faults
from app.sandbox.gateway import Gateway
from app.sandbox.impostor import post_impostor_message
from app.sandbox.messages import attachment
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.slots import Slots
from app.sandbox.snowflake import Snowflakes
from app.sandbox.speed import Speed
from app.sandbox.store import EditorRequest, MessageStore, Submissions, Uploads

log = logging.getLogger("mjrelay.sandbox")

Json = dict[str, Any]


class SandboxCore:
    def __init__(
        self,
        *,
        accounts: int,
        speed: Speed,
        seed: int,
        concurrency: int = 3,
        queue_size: int = 10,
        heartbeat_interval_ms: int = 41250,
        rate_limit: int = 50,
    ) -> None:
        self.speed = speed
        self.seed = seed
        self.rng = random.Random(f"mjrelay-sandbox/{seed}")
        self.accounts: list[SandboxAccount] = make_accounts(accounts, seed)
        self.states = {
            account.user_id: AccountState(account, Slots(concurrency, queue_size))
            for account in self.accounts
        }
        self._by_token = {state.account.token: state for state in self.states.values()}
        self.snowflakes = Snowflakes()
        self.cdn = Cdn(hashlib.sha256(f"cdn/{seed}/{self.rng.random()}".encode()).digest())
        self.messages = MessageStore()
        self.uploads = Uploads()
        self.submissions = Submissions()
        self.editor_requests: list[EditorRequest] = []
        self.faults = Faults()
        self.ratelimiter = RateLimiter(rate_limit, 1.0)
        self.gateway = Gateway(self.authenticate, self.faults, heartbeat_interval_ms)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.base_url = ""
        # Bots import core for typing only; build them last.
        from app.sandbox.midjourney import MidjourneyBot
        from app.sandbox.pika import PikaBot

        self.midjourney = MidjourneyBot(self)
        self.pika = PikaBot(self)

    def set_base_url(self, base_url: str) -> None:
        self.base_url = base_url
        self.cdn.base_url = base_url
        self.gateway.public_url = base_url.replace("http://", "ws://", 1)

    # -- lookups ----------------------------------------------------------------------------

    def authenticate(self, token: str) -> AccountState | None:
        return self._by_token.get(token.strip())

    def channel_guild(self, channel_id: str) -> str | None:
        for account in self.accounts:
            if account.channel_id == channel_id:
                return account.guild_id
        return None

    def guild_user_ids(self, guild_id: str) -> list[str]:
        """Everyone in the guild sees its channels' messages, as on Discord (clients filter)."""
        return [a.user_id for a in self.accounts if a.guild_id == guild_id]

    def find_account(self, ref: Any) -> AccountState:
        """An account by 0-based index, name, user id or token."""
        if isinstance(ref, int) and 0 <= ref < len(self.accounts):
            return self.states[self.accounts[ref].user_id]
        for state in self.states.values():
            account = state.account
            if str(ref) in (account.name, account.user_id, account.token, account.username):
                return state
        raise FaultError(f"unknown account {ref!r}")

    # -- helpers for the bots ---------------------------------------------------------------

    def new_id(self) -> str:
        return self.snowflakes.next()

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sandbox bot task failed", exc_info=task.exception())

    def store_file(
        self,
        channel_id: str,
        filename: str,
        data: bytes,
        content_type: str,
        size: tuple[int, int] | None = None,
        ephemeral: bool = False,
    ) -> Json:
        """Put a file on the CDN and return its attachment object."""
        attachment_id = self.new_id()
        folder = "ephemeral-attachments" if ephemeral else "attachments"
        url = self.cdn.put(f"/{folder}/{channel_id}/{attachment_id}/{filename}", data, content_type)
        width, height = size if size else (None, None)
        return attachment(attachment_id, filename, url, len(data), width, height, content_type)

    # -- faults -----------------------------------------------------------------------------

    async def inject_fault(self, spec: Json) -> Json:
        """Apply or arm a fault; the body of `POST /_sandbox/faults` (see faults.py)."""
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in {**ARMED_KINDS, **ACCOUNT_KINDS}:
            raise FaultError(f"unknown fault kind {kind!r}")
        ref = spec.get("account")
        state = self.find_account(ref) if ref is not None else None
        params = {k: v for k, v in spec.items() if k not in ("kind", "account")}
        if kind in ARMED_KINDS:
            count = int(params.pop("count", 1))
            fault = self.faults.arm(kind, state.account.user_id if state else None, count, **params)
            return {"kind": kind, "armed": fault.count, "account": state and state.account.name}
        targets = [state] if state else list(self.states.values())
        affected = sum(self._apply_account_fault(kind, target, params) for target in targets)
        return {"kind": kind, "applied": len(targets), "connections": affected}

    def _apply_account_fault(self, kind: str, state: AccountState, params: Json) -> int:
        user_id = state.account.user_id
        gateway = self.gateway
        if kind == "disconnect":
            return gateway.close_user(user_id, int(params.get("code", 4000)), "sandbox fault")
        if kind == "reconnect":
            sent = gateway.send_op(user_id, 7, None)
            self.spawn(self._close_later(user_id, float(params.get("grace", 1.0))))
            return sent
        if kind == "invalid_session":
            resumable = bool(params.get("resumable", False))
            if not resumable:
                gateway.invalidate_user(user_id)
            return gateway.send_op(user_id, 9, resumable)
        if kind == "heartbeat_request":
            return gateway.send_op(user_id, 1, None)
        if kind == "ban":
            state.banned = True
            gateway.invalidate_user(user_id)
            return gateway.close_user(user_id, 4004, "Authentication failed.")
        if kind == "clear":
            self.faults.clear(user_id)
            state.banned = state.captcha = state.pending_mod = False
            state.blocked = state.credits_exhausted = False
            return 0
        if kind == "expire_uploads":
            self.uploads.expire_all()
            return 0
        if kind == "impostor":
            post_impostor_message(self, state, params)
            return 0
        flags = {"unban": ("banned", False), "captcha": ("captcha", True)}
        flags |= {name: (name, True) for name in ("pending_mod", "blocked", "credits_exhausted")}
        attribute, value = flags[kind]
        setattr(state, attribute, value)
        return 0

    async def _close_later(self, user_id: str, grace: float) -> None:
        await asyncio.sleep(grace)
        self.gateway.close_user(user_id, 4000, "Reconnect requested.")

    async def aclose(self) -> None:
        await self.gateway.shutdown()
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
