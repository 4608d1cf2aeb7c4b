"""In-memory stores: channel messages, pending uploads, and the record of interactions received."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.bounds import EPHEMERAL_MESSAGES, MESSAGES_PER_CHANNEL, SUBMISSIONS, BoundedDict

Json = dict[str, Any]


class MessageStore:
    """Messages per channel, plus ephemeral ones visible only to one user (not in history).

    Each channel keeps its newest `per_channel` messages: older ones drop out of history, search
    and fetches, like messages far back in a very old channel.
    """

    def __init__(
        self, per_channel: int = MESSAGES_PER_CHANNEL, ephemeral: int = EPHEMERAL_MESSAGES
    ) -> None:
        self.per_channel = per_channel
        self._channels: dict[str, dict[str, Json]] = {}
        self._ephemeral: BoundedDict[str, tuple[str, Json]] = BoundedDict(ephemeral)

    def put(self, message: Json, visible_to: str | None = None) -> None:
        if visible_to is not None:
            self._ephemeral[message["id"]] = (visible_to, message)
            return
        channel = self._channels.setdefault(message["channel_id"], {})
        if message["id"] in channel:  # an edit: keeps its place
            channel[message["id"]] = message
            return
        channel[message["id"]] = message
        while len(channel) > self.per_channel:  # ids are snowflakes: the smallest is the oldest
            del channel[min(channel, key=int)]

    def count(self, channel_id: str) -> int:
        return len(self._channels.get(channel_id, {}))

    def get(self, channel_id: str, message_id: str, user_id: str) -> Json | None:
        found = self._channels.get(channel_id, {}).get(message_id)
        if found is not None:
            return found
        owner, message = self._ephemeral.get(message_id, ("", None))
        if message is not None and owner == user_id and message["channel_id"] == channel_id:
            return message
        return None

    def delete(self, channel_id: str, message_id: str) -> None:
        self._channels.get(channel_id, {}).pop(message_id, None)
        self._ephemeral.pop(message_id, None)

    def history(
        self,
        channel_id: str,
        limit: int = 50,
        before: str | None = None,
        after: str | None = None,
        around: str | None = None,
    ) -> list[Json]:
        """Newest first, like `GET /channels/{id}/messages` (`around` wins over before/after)."""
        messages = sorted(self._channels.get(channel_id, {}).values(), key=lambda m: int(m["id"]))
        if around:  # up to limit // 2 older ones, then the message itself and newer ones
            older = [m for m in messages if int(m["id"]) < int(around)]
            newer = [m for m in messages if int(m["id"]) >= int(around)]
            kept = (older[-(limit // 2) :] if limit // 2 else []) + newer[: limit - limit // 2]
            return list(reversed(kept))
        if before:
            messages = [m for m in messages if int(m["id"]) < int(before)]
        if after:
            messages = [m for m in messages if int(m["id"]) > int(after)]
            return list(reversed(messages[:limit]))
        return list(reversed(messages[-limit:])) if limit else []


@dataclass
class Upload:
    filename: str
    upload_id: str
    expires_at: float
    data: bytes | None = None
    content_type: str = "application/octet-stream"


class Uploads:
    """Cloud-upload slots from `POST /channels/{id}/attachments`, filled by the `PUT`."""

    def __init__(self, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self._uploads: dict[str, Upload] = {}

    def reserve(self, upload_filename: str, filename: str, upload_id: str) -> Upload:
        upload = Upload(filename, upload_id, time.time() + self.ttl)
        self._uploads[upload_filename] = upload
        return upload

    def get(self, upload_filename: str) -> Upload | None:
        upload = self._uploads.get(upload_filename)
        if upload is None or upload.expires_at < time.time():
            return None
        return upload

    def expire_all(self) -> None:
        for upload in self._uploads.values():
            upload.expires_at = 0.0


@dataclass(frozen=True)
class Submission:
    """One `POST /interactions` the sandbox received (accepted or not)."""

    nonce: str | None
    type: int | None
    account: str  # account name, or "" when the token was unknown
    status: int  # HTTP status answered: 204 accepted, 4xx refused
    custom_id: str | None = None
    command: str | None = None
    interaction_id: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def accepted(self) -> bool:
        return self.status == 204


class Submissions:
    """Inspectable record for tests ("each nonce submitted exactly once"): the newest `limit`."""

    def __init__(self, limit: int = SUBMISSIONS) -> None:
        self.limit = limit
        self._items: deque[Submission] = deque(maxlen=limit)

    def add(self, submission: Submission) -> None:
        self._items.append(submission)

    def __iter__(self) -> Iterator[Submission]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Submission:
        return self._items[index]

    def accepted(self) -> list[Submission]:
        return [item for item in self._items if item.accepted]

    def by_nonce(self, nonce: str) -> list[Submission]:
        return [item for item in self._items if item.nonce == nonce]

    def nonce_counts(self, accepted_only: bool = True) -> Counter[str]:
        """How many times each nonce was submitted; a correct client gives 1 everywhere."""
        items = self.accepted() if accepted_only else self._items
        return Counter(item.nonce for item in items if item.nonce is not None)

    def clear(self) -> None:
        self._items.clear()


@dataclass(frozen=True)
class EditorRequest:
    """One `POST /inpaint/api/submit-job` (the Vary (Region) editor): what a client sent it.

    The editor is the bot's web page, not Discord's API; tests check that no client hands it a
    Discord token (`headers` keeps every header, lower-cased names).
    """

    custom_id: str | None
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.time)
