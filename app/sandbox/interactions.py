"""An accepted `POST /interactions`, as the bots see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.sandbox.accounts import AccountState, BotPrefs
from app.sandbox.messages import Origin

Json = dict[str, Any]


@dataclass
class UploadedFile:
    filename: str
    data: bytes
    content_type: str


@dataclass
class Interaction:
    id: str
    type: int  # 2 command, 3 component, 5 modal submit
    state: AccountState
    application_id: str
    channel_id: str
    guild_id: str
    session_id: str | None
    nonce: str | None
    data: Json
    message: Json | None = None  # type 3: the message whose button was clicked
    files: dict[str, UploadedFile] = field(default_factory=dict)  # attachment id -> file

    @property
    def user_id(self) -> str:
        return self.state.account.user_id

    @property
    def prefs(self) -> BotPrefs:
        """The account's settings with the bot this interaction is for."""
        return self.state.prefs(self.application_id)

    @property
    def command(self) -> str:
        return str(self.data.get("name", "")) if self.type == 2 else ""

    @property
    def custom_id(self) -> str:
        return str(self.data.get("custom_id", ""))

    def options(self) -> dict[str, Any]:
        return {opt.get("name"): opt.get("value") for opt in self.data.get("options") or []}

    def option_file(self, name: str) -> UploadedFile | None:
        value = self.options().get(name)
        return None if value is None else self.files.get(str(value))

    def text_inputs(self) -> dict[str, str]:
        """Modal submit values by text-input custom id."""
        values = {}
        for row in self.data.get("components") or []:
            for item in row.get("components") or []:
                values[str(item.get("custom_id"))] = str(item.get("value", ""))
        return values

    def origin(self, command: str | None = None, interaction_id: str | None = None) -> Origin:
        return Origin(
            interaction_id=interaction_id or self.id,
            interaction_type=self.type,
            user=self.state.account.user(),
            guild_id=self.guild_id,
            command=self.command if command is None else command,
            interacted_message_id=self.message["id"] if self.message and self.type == 3 else "",
            nonce=self.nonce,
        )
