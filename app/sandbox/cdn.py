"""The CDN: files behind Discord-style signed, expiring URLs (`?ex=&is=&hm=&`).

`ex` and `is` are hex unix seconds (expiry, issue); `hm` is an HMAC over path and both, so a
URL whose query was altered or whose expiry passed is refused with a 404 like Discord's.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from app.sandbox.bounds import CDN_MAX_BYTES

DEFAULT_URL_TTL = 24 * 3600.0


def sign_path(secret: bytes, path: str, expires: int, issued: int) -> str:
    message = f"{path}|{expires:x}|{issued:x}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signed_query(secret: bytes, path: str, now: float, ttl: float = DEFAULT_URL_TTL) -> str:
    issued = int(now)
    expires = int(now + ttl)
    digest = sign_path(secret, path, expires, issued)
    return f"ex={expires:x}&is={issued:x}&hm={digest}&"


def check_signature(secret: bytes, path: str, query: dict[str, str], now: float) -> bool:
    try:
        expires = int(query["ex"], 16)
        issued = int(query["is"], 16)
        digest = query["hm"]
    except (KeyError, ValueError):
        return False
    if expires < now:
        return False
    return hmac.compare_digest(digest, sign_path(secret, path, expires, issued))


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str


class Cdn:
    """In-memory file store; `url()` hands out signed links on the sandbox's own host.

    Holds at most `max_bytes` of file data: past that the least recently stored or served files
    go first, and their links answer 404 like a deleted or expired attachment on Discord.
    """

    def __init__(
        self,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        ttl: float = DEFAULT_URL_TTL,
        max_bytes: int = CDN_MAX_BYTES,
    ) -> None:
        self._secret = secret
        self._clock = clock
        self.ttl = ttl
        self.base_url = ""
        self.delay_s = 0.0  # tests: a slow CDN, to stop a worker in the middle of a download
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self._files: OrderedDict[str, StoredFile] = OrderedDict()

    def put(self, path: str, data: bytes, content_type: str) -> str:
        """Store under `path` (e.g. `/attachments/<channel>/<id>/<name>`), return a signed URL."""
        self._drop(path)
        self._files[path] = StoredFile(data, content_type)
        self.held_bytes += len(data)
        while self.held_bytes > self.max_bytes and len(self._files) > 1:
            self._drop(next(iter(self._files)))
        return self.url(path)

    def _drop(self, path: str) -> None:
        dropped = self._files.pop(path, None)
        if dropped is not None:
            self.held_bytes -= len(dropped.data)

    def __len__(self) -> int:
        return len(self._files)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?{signed_query(self._secret, path, self._clock(), self.ttl)}"

    def holds(self, path: str) -> bool:
        return path in self._files

    def get(self, path: str, query: dict[str, str]) -> StoredFile | None:
        if not check_signature(self._secret, path, query, self._clock()):
            return None
        found = self._files.get(path)
        if found is not None:
            self._files.move_to_end(path)
        return found

    def resolve_url(self, url: str) -> StoredFile | None:
        """The stored file behind one of our own signed URLs (image prompts, describe links)."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base_url:
            return None
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        return self.get(parts.path, query)
