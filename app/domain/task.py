"""The canonical task: one shape for every dialect (the `tasks` row, as a frozen value)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.actions import Action
from app.domain.speed import ModeRequest
from app.domain.status import TaskStatus

# Internal property (never stored): how many tasks a just-submitted one waits behind.
QUEUE_AHEAD = "_queueAhead"
# Param of a task waiting in MODAL: the account it must run on once the client confirms (its
# slot is not held meanwhile; `/mj/submit/modal` pins the task to it again).
PINNED_ACCOUNT = "_accountId"


@dataclass(frozen=True, kw_only=True)
class Task:
    """A task as stored. Times are unix milliseconds; `progress` is 0..100.

    `buttons` holds the bot message's raw `components` (action rows). `params` holds what an
    action needs (customId, index, parent messageId/hash/flags, dimensions, zoom, modal prompt).
    `properties` holds extra facts for renderers; keys starting with `_` are internal (the
    origin for result-file URLs, the file token) and never rendered as such.
    """

    id: str
    dialect: str
    action: str
    bot: str = "mj"
    status: str = TaskStatus.PENDING
    prompt: str = ""
    prompt_en: str | None = None
    final_prompt: str | None = None
    description: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    inputs: list[Any] = field(default_factory=list)
    account_id: str | None = None
    parent_id: str | None = None
    nonce: str | None = None
    interaction_id: str | None = None
    message_id: str | None = None
    message_hash: str | None = None
    message_flags: int | None = None
    progress: int = 0
    preview_url: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    buttons: list[Any] = field(default_factory=list)
    fail_reason: str | None = None
    notify_url: str | None = None
    client_state: str | None = None
    client_data: Any = None
    properties: dict[str, Any] = field(default_factory=dict)
    submit_time: int | None = None
    start_time: int | None = None
    finish_time: int | None = None
    event_seq: int = 0
    submit_attempts: int = 0
    leased_by: str | None = None
    fence: int | None = None
    # Speed mode and account filter (docs/accounts.md): asked by the client, and what it ran in.
    request_mode: str | None = None
    filter_account_id: str | None = None
    filter_modes: list[str] | None = None
    filter_remix: bool | None = None
    filter_niji_remix: bool | None = None
    remix_auto: bool | None = None
    mode: str | None = None
    # The client key that submitted it, and the accounts that key may use (docs/keys.md).
    key_id: int | None = None
    key_accounts: list[str] | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | Any) -> Task:
        """From a `tasks` row mapping; columns the model does not carry are ignored."""
        values = {f.name: row[f.name] for f in FIELDS if f.name in row}
        for key in ("params", "properties"):
            if values.get(key) is None:
                values[key] = {}
        for key in ("inputs", "buttons"):
            if values.get(key) is None:
                values[key] = []
        if values.get("progress") is None:
            values["progress"] = 0
        return cls(**values)

    def mode_request(self) -> ModeRequest:
        return ModeRequest(
            request_mode=self.request_mode,
            filter_modes=self.filter_modes,
            filter_account_id=self.filter_account_id,
            filter_remix=self.filter_remix,
        )

    def replace(self, **changes: Any) -> Task:
        return dataclasses.replace(self, **changes)

    @property
    def action_enum(self) -> Action | None:
        try:
            return Action(self.action)
        except ValueError:
            return None

    def prop(self, key: str, default: Any = None) -> Any:
        return self.properties.get(key, default) if isinstance(self.properties, dict) else default


FIELDS = dataclasses.fields(Task)
FIELD_NAMES = frozenset(f.name for f in FIELDS)
