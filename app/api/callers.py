"""Who is calling: an operator (a dialect's secret), a client key (`mjr_…`), or anonymous.

A client key is accepted wherever a dialect takes its secret (`mj-api-secret`, `Authorization:
Bearer`, webman's header), so a client changes only the value it sends. It is looked up by its
SHA-256 before any byte of the body is read; a key that is unknown, disabled, expired or not
allowed on the dialect is refused like a wrong secret, and its request rate is taken from its
bucket in PostgreSQL (docs/keys.md). The dialect secrets act as admin keys. The lookup is done
at most once per request (the auto-dialect routes authenticate twice), only when a value shaped
like a key is presented, so servers without keys make no extra query, and not at all while
this process remembers the key from a lookup a moment ago (app/api/key_cache.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request

from app.api.access import (
    anonymous_on_protected,
    is_protected,
    presents_operator_secret,
    secret_matches,
)
from app.api.auth import presented_secret
from app.api.key_cache import KeyCache
from app.config import Settings
from app.domain.errors import CommandError, ErrorKind
from app.domain.keys import ApiKey, key_hash, looks_like_key
from db import api_keys as q

_LOOKED_UP = "mjrelay.api_key"


@dataclass(frozen=True)
class Caller:
    """`key`: the client key in use (None for the operator and anonymous callers)."""

    key: ApiKey | None = None
    anonymous: bool = False

    @property
    def sees_all(self) -> bool:
        """May read and act on every task (the operator, an admin key)."""
        return not self.anonymous and (self.key is None or self.key.admin)

    @property
    def scope(self) -> str:
        """Whose `Idempotency-Key`s these are."""
        if self.key is not None:
            return self.key.scope
        return "anonymous" if self.anonymous else "operator"


OPERATOR = Caller()
ANONYMOUS = Caller(anonymous=True)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _key_cache(request: Request) -> KeyCache:
    state = request.app.state
    cache: KeyCache | None = getattr(state, "key_cache", None)
    if cache is None:
        cache = state.key_cache = KeyCache()
    return cache


async def _looked_up(request: Request, presented: str) -> tuple[ApiKey | None, float]:
    """(the key, seconds to wait for its rate bucket), once per request: from this process's
    memory of a lookup a moment ago (app/api/key_cache.py), else from the database."""
    cached = request.scope.get(_LOOKED_UP)
    if cached is not None:
        found: tuple[ApiKey | None, float] = cached
        return found
    digest, now = key_hash(presented), time.monotonic()
    cache = _key_cache(request)
    key, wait = cache.take(digest, now), 0.0
    if key is None:
        row = await q.use_key(request.app.state.engine, digest)
        key = ApiKey.from_row(row) if row is not None else None
        wait = float(row["wait_s"]) if row is not None else 0.0
        if row is not None and key is not None and wait == 0 and key.usable(datetime.now(UTC)):
            spare = None if row["granted"] is None else max(0, int(row["granted"]) - 1)
            cache.keep(digest, key, spare, now)
    request.scope[_LOOKED_UP] = (key, wait)
    return key, wait


async def key_caller(request: Request, presented: str, dialect: str | None) -> Caller:
    """The caller a key-shaped value names, or a refusal (unknown, disabled, expired, not this
    dialect, over its request rate)."""
    key, wait = await _looked_up(request, presented)
    if key is None:
        raise CommandError(ErrorKind.UNAUTHORIZED, "invalid API key")
    now = datetime.now(UTC)
    reason = key.refusal(dialect, now) if dialect else key.refusal_any(now)
    if reason is not None:
        raise CommandError(ErrorKind.UNAUTHORIZED, reason)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise CommandError(
            ErrorKind.RATE_LIMITED,
            f"request rate of {key.rate_per_min}/min exceeded; retry in {retry} s",
            retry_after=retry,
        )
    return Caller(key=key)


async def authorize(request: Request, dialect: str) -> Caller:
    """The caller of a dialect's route, or CommandError(UNAUTHORIZED | RATE_LIMITED)."""
    settings = _settings(request)
    expected = settings.api_secret_for(dialect)
    presented = presented_secret(request)
    if expected and secret_matches(presented, expected):
        return OPERATOR
    if looks_like_key(presented):
        return await key_caller(request, str(presented), dialect)
    if expected:
        raise CommandError(ErrorKind.UNAUTHORIZED, "invalid or missing API secret")
    return ANONYMOUS if anonymous_on_protected(request, settings, dialect) else OPERATOR


async def reader(request: Request) -> Caller | None:
    """The caller of a cross-dialect read (`GET /events`, the deliveries API): any operator
    secret, or a key (which reads its own tasks); None when refused. Open when no secret is set."""
    settings = _settings(request)
    if presents_operator_secret(request, settings):
        return OPERATOR
    presented = presented_secret(request)
    if looks_like_key(presented):
        try:
            return await key_caller(request, str(presented), None)
        except CommandError:
            return None
    return None if is_protected(settings) else OPERATOR
