"""The application-command index (spec §2.3): which slash commands a guild or DM offers, with the
id and version an interaction must name. Pure: `rest.get_command_index` fetches it.

A command is looked up by application and name, never by position: other bots in the guild
(Pika, …) register commands too, and the index lists them in no promised order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.discord.constants import MJ_APPLICATION_ID
from app.discord.errors import CommandNotFound


@dataclass(frozen=True, kw_only=True)
class CommandRef:
    """One entry of the application-command index."""

    id: str
    version: str
    name: str
    application_id: str
    option_names: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class CommandIndex:
    """`GET …/application-command-index`, filtered by application and name (never `[0]`)."""

    def __init__(self, commands: Sequence[CommandRef], version: str | None = None) -> None:
        self.commands = tuple(commands)
        self.version = version

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> CommandIndex:
        commands = []
        for entry in body.get("application_commands") or ():
            if not isinstance(entry, dict) or not {"id", "version", "name"} <= entry.keys():
                continue
            options = [o for o in entry.get("options") or () if isinstance(o, dict)]
            commands.append(
                CommandRef(
                    id=str(entry["id"]),
                    version=str(entry["version"]),
                    name=str(entry["name"]),
                    application_id=str(entry.get("application_id") or ""),
                    option_names=tuple(str(o.get("name")) for o in options),
                    raw=entry,
                )
            )
        version = body.get("version")
        return cls(commands, str(version) if version is not None else None)

    def find(self, name: str, application_id: str | None = MJ_APPLICATION_ID) -> CommandRef | None:
        for command in self.commands:
            if command.name == name and application_id in (None, command.application_id):
                return command
        return None

    def get(self, name: str, application_id: str | None = MJ_APPLICATION_ID) -> CommandRef:
        command = self.find(name, application_id)
        if command is None:
            raise CommandNotFound(name, application_id)
        return command
