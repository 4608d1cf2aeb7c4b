"""What a simulated bot may use of the sandbox: the whole of its view of the world.

Bots (Midjourney, Pika, the impostor) are written against these two Protocols only, never against
the gateway, the stores or each other, so the package layers stay one-way:

    wire shapes, ids, stores  ->  context  ->  bots  ->  services, core  ->  rest, server

`services.SandboxServices` is the one implementation; tests could pass any other.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from typing import Any, Protocol

from app.sandbox.accounts import AccountState
from app.sandbox.faults import Faults
from app.sandbox.interactions import Interaction
from app.sandbox.speed import Speed

Json = dict[str, Any]


class Bot(Protocol):
    def accept(self, it: Interaction) -> None:
        """Take an interaction REST accepted (204); the bot answers in the background."""
        ...


class Messenger(Protocol):
    """Posts, edits and deletes bot messages: stored, then dispatched as MESSAGE_* events."""

    def create(self, message: Json, owner: str) -> Json: ...

    def update(self, message: Json, owner: str, late: bool = False) -> Json: ...

    def delete(self, message: Json, owner: str) -> None: ...

    def release_held(self) -> None: ...


class BotContext(Protocol):
    @property
    def seed(self) -> int: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def speed(self) -> Speed: ...

    @property
    def faults(self) -> Faults:
        """Armed faults: a bot takes the ones aimed at its next job."""
        ...

    def new_id(self) -> str: ...

    def new_uuid(self) -> str: ...

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run in the background; failures are logged, shutdown cancels it."""
        ...

    def messenger(self, duplicate: bool = False, reorder: bool = False) -> Messenger:
        """A messenger for one job; `duplicate`/`reorder` are that job's delivery faults."""
        ...

    def emit(self, event: str, data: Json, user_id: str, session_id: str | None = None) -> None:
        """A gateway dispatch that is not a message (INTERACTION_*, modals) to one user."""
        ...

    def find_message(self, channel_id: str, message_id: str, user_id: str) -> Json | None: ...

    def store_file(
        self,
        channel_id: str,
        filename: str,
        data: bytes,
        content_type: str,
        size: tuple[int, int] | None = None,
        ephemeral: bool = False,
    ) -> Json:
        """Put a file on the CDN; returns its attachment object (with the signed URL)."""
        ...

    def read_cdn_url(self, url: str) -> bytes | None:
        """The bytes behind one of the sandbox's own CDN URLs (image prompts, describe links)."""
        ...

    def apply_account_fault(self, kind: str, state: AccountState, params: Json) -> int:
        """An account fault (ban, captcha, disconnect ...) now; returns connections affected."""
        ...
