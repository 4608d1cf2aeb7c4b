"""The bots' context (`context.BotContext`) built from the sandbox's parts."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.accounts import AccountDirectory, AccountState
from app.sandbox.cdn import Cdn
from app.sandbox.emitter import Emitter
from app.sandbox.fault_control import FaultControl
from app.sandbox.faults import Faults
from app.sandbox.gateway import Gateway
from app.sandbox.messages import attachment
from app.sandbox.snowflake import Snowflakes
from app.sandbox.speed import Speed
from app.sandbox.store import MessageStore, Uploads

log = logging.getLogger("mjrelay.sandbox")

Json = dict[str, Any]


@dataclass(kw_only=True, eq=False)
class SandboxServices:
    """Ids, background tasks, messages, gateway events, CDN files and faults, for the bots.

    The bots hold it as a `BotContext`, so the parts below stay out of their reach.
    """

    seed: int
    rng: random.Random
    speed: Speed
    faults: Faults
    directory: AccountDirectory
    gateway: Gateway
    messages: MessageStore
    uploads: Uploads
    cdn: Cdn
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    snowflakes: Snowflakes = field(default_factory=Snowflakes)

    def __post_init__(self) -> None:
        self.fault_control = FaultControl(
            self.directory, self.faults, self.gateway, self.uploads, self
        )

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

    async def cancel_tasks(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def messenger(self, duplicate: bool = False, reorder: bool = False) -> Emitter:
        return Emitter(
            self.gateway.dispatch, self.messages, self.directory.guild_user_ids,
            duplicate, reorder,
        )  # fmt: skip

    def emit(self, event: str, data: Json, user_id: str, session_id: str | None = None) -> None:
        self.gateway.dispatch(event, data, [user_id], session_id)

    def find_message(self, channel_id: str, message_id: str, user_id: str) -> Json | None:
        return self.messages.get(channel_id, message_id, user_id)

    def store_file(
        self,
        channel_id: str,
        filename: str,
        data: bytes,
        content_type: str,
        size: tuple[int, int] | None = None,
        ephemeral: bool = False,
    ) -> Json:
        attachment_id = self.new_id()
        folder = "ephemeral-attachments" if ephemeral else "attachments"
        url = self.cdn.put(f"/{folder}/{channel_id}/{attachment_id}/{filename}", data, content_type)
        width, height = size if size else (None, None)
        return attachment(attachment_id, filename, url, len(data), width, height, content_type)

    def read_cdn_url(self, url: str) -> bytes | None:
        stored = self.cdn.resolve_url(url)
        return stored.data if stored else None

    def apply_account_fault(self, kind: str, state: AccountState, params: Json) -> int:
        return self.fault_control.apply(kind, state, params)
