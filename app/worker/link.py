"""What an account runner needs from Discord: one connected account, events in, requests out.

`DiscordLink` is the seam between the worker and `app.discord`: the runner is written against
this protocol, the production implementation wraps the gateway and REST transports, and the
same code drives real Discord or the sandbox (only base URLs differ).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from app.discord.commands import CommandIndex, UploadedAttachment
from app.discord.events import BotEvent, GatewayEvent


class DiscordLink(Protocol):
    @property
    def session_id(self) -> str | None: ...

    def events(self) -> AsyncIterator[GatewayEvent | BotEvent]:
        """Connection events (Ready, Reconnecting, GatewayFatal…) and parsed bot events."""
        ...

    async def send_interaction(self, payload: dict[str, Any]) -> None: ...

    async def command_index(self, refresh: bool = False) -> CommandIndex: ...

    async def upload(self, files: Sequence[tuple[str, bytes]]) -> list[UploadedAttachment]: ...

    async def post_images(self, files: Sequence[tuple[str, bytes]]) -> list[str]:
        """Post images as a channel message; their CDN URLs (for image prompts)."""
        ...

    async def recent_messages(self, limit: int = 50) -> list[dict[str, Any]]: ...

    async def submit_inpaint(self, token: str, mask: bytes, prompt: str) -> None:
        """Vary (Region): the mask and prompt for the editor the bot opened (iframe modal)."""
        ...

    def parse_message(self, message: dict[str, Any]) -> BotEvent:
        """A fetched message as the event its MESSAGE_CREATE would have been (reconciliation)."""
        ...
