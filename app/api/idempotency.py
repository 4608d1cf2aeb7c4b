"""The `Idempotency-Key` header of a submit, and the fingerprint of the request it came with.

The fingerprint is a SHA-256 over the route and the body as read (JSON canonicalised: key order
and spacing do not matter; an uploaded file by its bytes), so a retry that sends the same
request again matches, and one that sends something else is a conflict (docs/keys.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from starlette.requests import Request

from app.api.keyed import Idempotency
from app.domain.errors import CommandError, ErrorKind

HEADER = "idempotency-key"
MAX_KEY_CHARS = 255


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "multi_items"):  # a form: every field, repeated ones included
        return [[k, _canonical(v)] for k, v in value.multi_items()]
    return str(value)


def fingerprint(path: str, body: Any) -> str:
    text = json.dumps([path, _canonical(body)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def header_key(request: Request) -> str | None:
    """The request's `Idempotency-Key` (printable ASCII, at most 255 characters), or None."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_CHARS or not all(" " <= c <= "~" for c in key):
        raise CommandError(
            ErrorKind.INVALID,
            f"Idempotency-Key must be 1-{MAX_KEY_CHARS} printable ASCII characters",
        )
    return key


def of_request(request: Request, body: Any) -> Idempotency | None:
    key = header_key(request)
    if key is None:
        return None
    return Idempotency(key, fingerprint(request.url.path, body))
