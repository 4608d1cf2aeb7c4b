"""The Discord REST endpoints mjrelay uses, for one user account (spec §2). The transport under
them (token scoping, rate limits, retries, typed errors) is `rest_transport.py`.

`send_interaction` is never retried once it may have reached Discord (a second submit is worse
than a failure); uploads are the 3-step flow's first two steps; `submit_inpaint` posts the
Vary (Region) editor's job without the token.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from app.discord import commands
from app.discord.command_index import CommandIndex
from app.discord.commands import UploadedAttachment
from app.discord.constants import MJ_APPLICATION_ID
from app.discord.errors import UnexpectedResponse
from app.discord.rest_transport import RestTransport, response_body

DEFAULT_INPAINT_URL = f"https://{MJ_APPLICATION_ID}.discordsays.com/inpaint/api/submit-job"


@dataclass(frozen=True)
class UploadFile:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


class DiscordRest(RestTransport):
    """The endpoints, on the transport's `request` (constructed with the transport's options)."""

    @functools.cached_property
    def _command_index(self) -> dict[tuple[str, str], CommandIndex]:
        """The application-command indexes fetched so far, by guild or DM channel."""
        return {}

    async def get_gateway_url(self) -> str:
        body = (await self.request("GET", "/gateway")).json()
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url:
            raise UnexpectedResponse(200, None, "GET /gateway returned no url", body)
        return url

    async def get_current_user(self) -> dict[str, Any]:
        """`GET /users/@me`: the account behind the token (a bad token answers 401)."""
        body = (await self.request("GET", "/users/@me")).json()
        if not isinstance(body, dict) or not body.get("id"):
            raise UnexpectedResponse(200, None, "GET /users/@me returned no user", body)
        return body

    async def get_command_index(
        self, *, guild_id: str | None = None, channel_id: str | None = None, refresh: bool = False
    ) -> CommandIndex:
        """The application-command index of a guild (or a DM channel), cached until `refresh`."""
        if guild_id is not None:
            key, path = ("guild", guild_id), f"/guilds/{guild_id}/application-command-index"
        elif channel_id is not None:
            key, path = ("channel", channel_id), f"/channels/{channel_id}/application-command-index"
        else:
            raise ValueError("get_command_index needs guild_id or channel_id")
        if refresh or key not in self._command_index:
            body = (await self.request("GET", path)).json()
            if not isinstance(body, dict):
                raise UnexpectedResponse(200, None, "command index is not an object", body)
            self._command_index[key] = CommandIndex.from_response(body)
        return self._command_index[key]

    async def send_interaction(self, payload: Mapping[str, Any]) -> None:
        """`POST /interactions`; only 204 means accepted (spec §2.1)."""
        response = await self.request("POST", "/interactions", json=payload, retry_ambiguous=False)
        if response.status_code != 204:
            raise UnexpectedResponse(
                response.status_code, None, "interaction not accepted", response_body(response)
            )

    async def upload_attachments(
        self, channel_id: str, files: Sequence[UploadFile]
    ) -> list[UploadedAttachment]:
        """The 3-step upload's first two steps; reference the result in an interaction."""
        request = commands.attachments_request([(f.filename, len(f.data)) for f in files])
        body = (
            await self.request("POST", f"/channels/{channel_id}/attachments", json=request)
        ).json()
        slots = body.get("attachments") if isinstance(body, dict) else None
        if not isinstance(slots, list) or len(slots) != len(files):
            raise UnexpectedResponse(200, None, "upload slots do not match the files", body)
        uploaded: list[UploadedAttachment] = []
        for file, slot in zip(files, slots, strict=True):
            await self.request(
                "PUT",
                str(slot["upload_url"]),
                content=file.data,
                authorized=False,
                headers={"Content-Type": file.content_type},
            )
            uploaded.append(
                UploadedAttachment(
                    id=str(slot.get("id", len(uploaded))),
                    filename=file.filename,
                    uploaded_filename=str(slot["upload_filename"]),
                )
            )
        return uploaded

    async def send_message(
        self, channel_id: str, content: str = "", attachments: Sequence[UploadedAttachment] = ()
    ) -> dict[str, Any]:
        """A normal message (used to host reference images); returns the message object."""
        payload = {"content": content, "attachments": [a.as_payload() for a in attachments]}
        body = (await self.request("POST", f"/channels/{channel_id}/messages", json=payload)).json()
        if not isinstance(body, dict):
            raise UnexpectedResponse(200, None, "message is not an object", body)
        return body

    async def get_messages(
        self,
        channel_id: str,
        *,
        limit: int = 50,
        before: str | None = None,
        after: str | None = None,
        around: str | None = None,
    ) -> list[dict[str, Any]]:
        """Recent channel messages, newest first (reconciliation after a crash)."""
        params: dict[str, Any] = {"limit": max(1, min(limit, 100))}
        for key, value in (("before", before), ("after", after), ("around", around)):
            if value is not None:
                params[key] = value
        body = (await self.request("GET", f"/channels/{channel_id}/messages", params=params)).json()
        return [m for m in body if isinstance(m, dict)] if isinstance(body, list) else []

    async def submit_inpaint(
        self, body: Mapping[str, Any], *, url: str = DEFAULT_INPAINT_URL
    ) -> dict[str, Any]:
        """Vary (Region) mask submit; see `commands.inpaint_submit` for the body.

        The editor is a web page the Discord client shows in an iframe; its own script posts
        here with the browser's headers only. No token: the `customId` authorises the job.
        """
        headers = {
            "User-Agent": self._headers["User-Agent"],
            "Accept-Language": self._headers["Accept-Language"],
            "Origin": _web_origin(url),
        }
        response = await self.request(
            "POST", url, json=dict(body), retry_ambiguous=False, authorized=False, headers=headers
        )
        result = response_body(response)
        if not isinstance(result, dict) or not result.get("success"):
            raise UnexpectedResponse(response.status_code, None, "inpaint not accepted", result)
        return result


def _web_origin(url: str) -> str:
    """The `Origin` a browser page at `url` sends: scheme and host (and a non-default port)."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode('ascii')}"
