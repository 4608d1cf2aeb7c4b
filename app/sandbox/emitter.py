"""Posting bot messages: store them and dispatch MESSAGE_* events, with per-job faults.

`duplicate` sends every dispatch twice; `reorder` holds progress updates back until after the
final message, so clients see stale progress after completion (a real out-of-order delivery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.sandbox.messages import EPHEMERAL
from app.sandbox.store import MessageStore

Json = dict[str, Any]
# (event, data, user ids, preferred session id): the gateway's dispatch
Dispatch = Callable[[str, Json, Iterable[str], str | None], None]


class Emitter:
    """The `context.Messenger` of one job."""

    def __init__(
        self,
        dispatch: Dispatch,
        messages: MessageStore,
        guild_audience: Callable[[str], list[str]],
        duplicate: bool = False,
        reorder: bool = False,
    ) -> None:
        self._dispatch = dispatch
        self._messages = messages
        self._guild_audience = guild_audience
        self.duplicate = duplicate
        self.reorder = reorder
        self._held: list[tuple[str, Json, list[str], str | None]] = []

    def dispatch(
        self,
        event: str,
        data: Json,
        user_ids: list[str],
        session_id: str | None = None,
        late: bool = False,
    ) -> None:
        if late and self.reorder:
            self._held.append((event, data, user_ids, session_id))
            return
        for _ in range(2 if self.duplicate else 1):
            self._dispatch(event, data, user_ids, session_id)

    def release_held(self) -> None:
        held, self._held = self._held, []
        for event, data, user_ids, session_id in held:
            self.dispatch(event, data, user_ids, session_id)

    def _audience(self, message: Json, owner: str) -> list[str]:
        if message["flags"] & EPHEMERAL:
            return [owner]
        return self._guild_audience(message["guild_id"])

    def create(self, message: Json, owner: str) -> Json:
        """Post a new message; ephemeral ones are seen (and stored) for `owner` only."""
        ephemeral = bool(message["flags"] & EPHEMERAL)
        self._messages.put(message, visible_to=owner if ephemeral else None)
        self.dispatch("MESSAGE_CREATE", message, self._audience(message, owner))
        return message

    def update(self, message: Json, owner: str, late: bool = False) -> Json:
        ephemeral = bool(message["flags"] & EPHEMERAL)
        self._messages.put(message, visible_to=owner if ephemeral else None)
        self.dispatch("MESSAGE_UPDATE", message, self._audience(message, owner), late=late)
        return message

    def delete(self, message: Json, owner: str) -> None:
        self._messages.delete(message["channel_id"], message["id"])
        data = {"id": message["id"], "channel_id": message["channel_id"]}
        data["guild_id"] = message["guild_id"]
        self.dispatch("MESSAGE_DELETE", data, self._audience(message, owner))
