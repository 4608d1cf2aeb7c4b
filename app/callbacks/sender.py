"""One callback attempt: POST the exact payload bytes, bounded in time and in what we read back."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from app import __version__
from app.callbacks.policy import RESPONSE_BODY_LIMIT, Outcome, classify_status
from app.callbacks.signing import Signer
from app.callbacks.transport import BlockedDestination
from app.domain.callback_urls import callback_url_problem

log = logging.getLogger(__name__)

USER_AGENT = f"mjrelay/{__version__} (callbacks)"
SEQUENCE_HEADER = "x-mjrelay-sequence"
TASK_HEADER = "x-mjrelay-task-id"
ATTEMPT_HEADER = "x-mjrelay-attempt"
EXCERPT_BYTES = 256
ALLOWLIST_HINT = "to allow it, add the host or its network to MJRELAY_CALLBACK_ALLOWLIST"


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to; `body_bytes` counts the response body bytes we read."""

    outcome: Outcome
    started_at: datetime
    latency_s: float = 0.0
    status_code: int | None = None
    error: str | None = None
    retry_after: str | None = None
    body_bytes: int = 0
    body_excerpt: str = ""


def build_headers(
    signer: Signer,
    *,
    webhook_id: str,
    task_id: str,
    seq: int,
    attempt: int,
    payload: bytes,
    at: datetime,
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",
        SEQUENCE_HEADER: str(seq),
        TASK_HEADER: task_id,
        ATTEMPT_HEADER: str(attempt),
    }
    headers.update(signer.headers(webhook_id, payload, at))
    return headers


async def send_attempt(
    client: httpx.AsyncClient,
    url: str,
    payload: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float,
    body_limit: int = RESPONSE_BODY_LIMIT,
) -> Attempt:
    """POST once. The whole attempt (DNS, connect, TLS, send, answer) gets `timeout_s`; at most
    `body_limit` bytes of the answer are read, then the connection is dropped."""
    started_at = datetime.now(UTC)
    problem = callback_url_problem(url)
    if problem is not None:
        return Attempt(Outcome.INVALID_URL, started_at, error=problem)
    clock = time.monotonic()
    status: int | None = None
    retry_after: str | None = None
    body = bytearray()
    error: str | None = None
    failure: Outcome | None = None
    try:
        async with (
            asyncio.timeout(timeout_s),
            client.stream("POST", url, content=payload, headers=headers) as response,
        ):
            status = response.status_code
            retry_after = response.headers.get("retry-after")
            if 300 <= status <= 399:
                location = response.headers.get("location", "")
                error = f"HTTP {status}: redirect to {location!r} not followed"
            elif not 200 <= status <= 299:
                error = f"HTTP {status}"
            async for chunk in response.aiter_raw():
                body += chunk[: body_limit - len(body)]
                if len(body) >= body_limit:
                    break
    except TimeoutError:
        failure, error = Outcome.TIMEOUT, f"no complete answer within {timeout_s:g} s"
    except BlockedDestination as exc:
        failure, error = Outcome.BLOCKED, f"{exc} ({ALLOWLIST_HINT})"
    except httpx.TimeoutException as exc:
        failure, error = Outcome.TIMEOUT, str(exc) or type(exc).__name__
    except httpx.TransportError as exc:
        failure, error = Outcome.NETWORK_ERROR, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug of ours must not stall the queue; it is retried and logged
        log.exception("callback attempt to %s failed unexpectedly", url_origin(url))
        failure, error = Outcome.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
    latency = time.monotonic() - clock
    if status is not None:
        # The receiver answered; a body cut short by the timeout does not change its verdict.
        outcome = classify_status(status)
        if failure is not None:
            error = None if outcome is Outcome.DELIVERED else f"HTTP {status}, then {error}"
    else:
        outcome = failure or Outcome.INTERNAL_ERROR
    return Attempt(
        outcome=outcome,
        started_at=started_at,
        latency_s=latency,
        status_code=status,
        error=error,
        retry_after=retry_after,
        body_bytes=len(body),
        body_excerpt=bytes(body[:EXCERPT_BYTES]).decode("utf-8", "replace"),
    )


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a callback URL, for log lines: a notify URL may carry a token in
    its path or query string (many webhook services put one there), so logs name only where it
    points."""
    try:
        parsed = httpx.URL(url)
        port = f":{parsed.port}" if parsed.port is not None else ""
        return f"{parsed.scheme}://{parsed.host}{port}"
    except Exception:  # a URL the check refuses: say so without repeating it
        return "(an invalid URL)"
