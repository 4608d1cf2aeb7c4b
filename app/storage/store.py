"""The one storage interface: put, open a stream (whole or a byte range), delete, list, URLs.

Both backends are obstore stores (`LocalStore` for file://, `S3Store` for s3://), so the code
above this module never knows which one it talks to. S3 settings are the standard AWS variables
(`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` or
`AWS_DEFAULT_REGION`); an `http://` endpoint (a private S3 server) is allowed. Credentials are
handed to obstore and never logged: errors are reported by class and key only.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import obstore
from obstore.store import LocalStore, S3Store

from app.storage.keys import loggable_key
from app.storage.location import StorageLocation

STREAM_CHUNK = 256 * 1024
_AWS_CONFIG = {
    "AWS_ENDPOINT_URL": "endpoint",
    "AWS_ACCESS_KEY_ID": "access_key_id",
    "AWS_SECRET_ACCESS_KEY": "secret_access_key",
    "AWS_SESSION_TOKEN": "token",
    "AWS_DEFAULT_REGION": "region",
    "AWS_REGION": "region",  # after AWS_DEFAULT_REGION: the more specific one wins
}


class NotStored(LookupError):
    """No object under that key."""


class StorageError(RuntimeError):
    """The store refused or failed (its message names the key, never a credential)."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


@dataclass
class Opened:
    """An object being read: its full size, the served byte range, and the bytes as a stream."""

    size: int
    start: int
    end: int  # exclusive
    chunks: AsyncIterator[bytes]


def s3_config(env: Mapping[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for variable, option in _AWS_CONFIG.items():
        if env.get(variable):
            config[option] = env[variable]
    config.setdefault("region", "us-east-1")
    return config


def _backend(location: StorageLocation, env: Mapping[str, str]) -> Any:
    if location.is_local:
        return LocalStore(prefix=location.path, mkdir=True)
    config = s3_config(env)
    allow_http = str(config.get("endpoint", "")).startswith("http://")
    return S3Store(
        location.bucket,
        prefix=location.prefix or None,
        config=config,  # type: ignore[arg-type]  # keys checked in _AWS_CONFIG
        client_options={"allow_http": allow_http, "timeout": "60s", "connect_timeout": "10s"},
        # obstore's default retries for up to 3 minutes: a /files request would hang that long.
        retry_config={"max_retries": 3, "retry_timeout": timedelta(seconds=30)},
    )


def _failed(action: str, key: str, exc: Exception) -> StorageError:
    """Named by the operation, the key without its token and the error class: obstore's own
    message may hold the endpoint's request details, never worth the risk in a log line."""
    return StorageError(f"storage {action} of {loggable_key(key)} failed ({type(exc).__name__})")


class ObjectStore:
    def __init__(
        self,
        location: StorageLocation,
        *,
        public_url: str | None = None,
        presign_s: int = 0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.location = location
        self.public_base = public_url.rstrip("/") if public_url else None
        self.presign_s = presign_s if not location.is_local else 0
        self._store = _backend(location, os.environ if env is None else env)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        options: dict[str, Any] = {}
        if not self.location.is_local:  # a bucket website or presigned URL serves this type
            options["attributes"] = {"Content-Type": content_type}
        try:
            await obstore.put_async(self._store, key, data, **options)
        except Exception as exc:
            raise _failed("put", key, exc) from exc

    async def open(self, key: str, start: int | None = None, end: int | None = None) -> Opened:
        """The object (or bytes `start`..`end`, end exclusive); NotStored when absent."""
        if self.location.is_local:
            return await self._open_file(key, start, end)
        options: dict[str, Any] = {}
        if start is not None and end is not None:
            options["range"] = (start, end)
        try:
            result = await obstore.get_async(
                self._store,
                key,
                options=options or None,  # type: ignore[arg-type]
            )
        except FileNotFoundError as exc:
            raise NotStored(key) from exc
        except Exception as exc:
            raise _failed("read", key, exc) from exc
        first, last = result.range
        chunks = aiter(result.stream(min_chunk_size=STREAM_CHUNK))
        return Opened(int(result.meta["size"]), first, last, _as_bytes(chunks))

    async def _open_file(self, key: str, start: int | None, end: int | None) -> Opened:
        """A local object read with plain file reads in a worker thread, as Starlette's
        FileResponse does: obstore's local stream costs several times the CPU per byte, and
        serving is the hot path (docs/benchmarks.md, `files`)."""
        root = Path(self.location.path)
        path = root / key
        if ".." in Path(key).parts or not key or key.startswith("/"):
            raise NotStored(key)
        try:
            handle = await anyio.open_file(path, "rb")
        except FileNotFoundError as exc:
            raise NotStored(key) from exc
        except OSError as exc:
            raise _failed("read", key, exc) from exc
        size = os.fstat(handle.wrapped.fileno()).st_size  # no I/O wait: the inode is cached
        first = start if start is not None else 0
        last = end if end is not None else size
        await handle.seek(first)
        return Opened(size, first, last, _file_chunks(handle, last - first))

    async def read(self, key: str) -> bytes:
        """A whole (small) object: thumbnails, checks."""
        opened = await self.open(key)
        return b"".join([chunk async for chunk in opened.chunks])

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, key)
        except FileNotFoundError:
            return False
        except Exception as exc:
            raise _failed("head", key, exc) from exc
        return True

    async def delete(self, keys: Iterable[str]) -> None:
        """Delete each key; an absent key is not an error (deletes are retried)."""
        for key in keys:
            try:
                await obstore.delete_async(self._store, key)
            except FileNotFoundError:
                continue
            except Exception as exc:
                raise _failed("delete", key, exc) from exc

    async def list(self, prefix: str) -> AsyncIterator[ObjectInfo]:
        try:
            async for batch in obstore.list(self._store, prefix=prefix):
                for meta in batch:
                    yield ObjectInfo(str(meta["path"]), int(meta["size"]), meta["last_modified"])
        except FileNotFoundError:
            return  # a local store with no folder yet holds nothing
        except Exception as exc:
            raise _failed("list", prefix, exc) from exc

    def public_url(self, key: str) -> str | None:
        """`MJRELAY_STORAGE_PUBLIC_URL` + key (a CDN or bucket website), when set."""
        return f"{self.public_base}/{key}" if self.public_base else None

    async def presigned_url(self, key: str) -> str | None:
        """A GET URL signed for `presign_s` seconds (S3 with presigning on), else None."""
        if not self.presign_s:
            return None
        try:
            url = await obstore.sign_async(
                self._store, "GET", key, timedelta(seconds=self.presign_s)
            )
        except Exception as exc:
            raise _failed("sign", key, exc) from exc
        return str(url)


async def _file_chunks(handle: Any, remaining: int) -> AsyncIterator[bytes]:
    try:
        while remaining > 0:
            chunk = await handle.read(min(STREAM_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        await handle.aclose()


async def _as_bytes(chunks: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield bytes(chunk)
