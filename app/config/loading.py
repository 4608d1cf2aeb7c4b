"""Where each setting comes from, and building `Settings` from there once, at start.

Every setting has an environment variable (`MJRELAY_*`, plus the PaaS conventions `DATABASE_URL`
and `PORT`). A TOML file named by `MJRELAY_CONFIG` may set the same keys in lower case without the
prefix (`port = 8080`, `log_level = "debug"`); the environment wins over the file. A list setting
is comma-separated text in either place, or a TOML array in the file. Invalid values fail at start
with a `SettingsError` naming the setting (and never echoing a secret), never later in a request.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from app.config import values as v
from app.config.settings import (
    LOG_FORMATS,
    LOG_LEVELS,
    SANDBOX_SPEEDS,
    SUBMIT_DIALECTS,
    Settings,
    is_secret,
)
from app.errors import SettingsError


@dataclass(frozen=True)
class Source:
    variable: str
    parse: Callable[[Any], Any]
    listed: bool = False  # its parser takes the list's items (comma-separated or a TOML array)


def _list(variable: str, parse: Callable[[v.Items], Any]) -> Source:
    return Source(variable, parse, listed=True)


# Settings field -> where it comes from. The file key is the field name.
SOURCES: dict[str, Source] = {
    "database_url": Source("DATABASE_URL", v.as_optional_str),
    "data_dir": Source("MJRELAY_DATA_DIR", v.as_path),
    "host": Source("MJRELAY_HOST", v.as_optional_str),
    "port": Source("PORT", v.as_port),
    "log_level": Source("MJRELAY_LOG_LEVEL", v.one_of(LOG_LEVELS)),
    "log_format": Source("MJRELAY_LOG_FORMAT", v.one_of(LOG_FORMATS)),
    "callback_allowlist": _list("MJRELAY_CALLBACK_ALLOWLIST", v.as_allowlist),
    "webhook_secrets": _list("MJRELAY_WEBHOOK_SECRET", v.as_webhook_keys),
    "callback_timeout_s": Source("MJRELAY_CALLBACK_TIMEOUT_S", v.as_callback_timeout),
    "callback_schedule": _list("MJRELAY_CALLBACK_SCHEDULE", v.as_retry_schedule),
    "callback_concurrency": Source("MJRELAY_CALLBACK_CONCURRENCY", v.as_int_between(1, 256)),
    "accounts": Source("MJRELAY_ACCOUNTS", v.as_accounts),
    "worker_id": Source("MJRELAY_WORKER_ID", v.as_optional_str),
    "account_lease_ttl_s": Source("MJRELAY_ACCOUNT_LEASE_TTL_S", v.as_float_between(2, 30)),
    "poll_interval_s": Source("MJRELAY_POLL_INTERVAL_S", v.as_float_between(0.05, 60)),
    "reconcile_grace_s": Source("MJRELAY_RECONCILE_GRACE_S", v.as_float_between(1, 300)),
    "modal_timeout_s": Source("MJRELAY_MODAL_TIMEOUT_S", v.as_float_between(10, 86400)),
    "retention_days": Source("MJRELAY_RETENTION_DAYS", v.as_int_between(1, 3650)),
    "shutdown_grace_s": Source("MJRELAY_SHUTDOWN_GRACE_S", v.as_float_between(1, 300)),
    "discord_api_base": Source("MJRELAY_DISCORD_API_BASE", v.as_url),
    "discord_bot_ids": _list("MJRELAY_DISCORD_BOT_IDS", v.as_snowflakes),
    "sandbox_speed": Source("MJRELAY_SANDBOX_SPEED", v.one_of(SANDBOX_SPEEDS)),
    "sandbox_accounts": Source("MJRELAY_SANDBOX_ACCOUNTS", v.as_int_between(1, 50)),
    "api_secret": Source("MJRELAY_API_SECRET", v.as_secret),
    "discordxy_api_secret": Source("MJRELAY_DISCORDXY_API_SECRET", v.as_secret_override),
    "webman_api_secret": Source("MJRELAY_WEBMAN_API_SECRET", v.as_secret_override),
    "novicezk_api_secret": Source("MJRELAY_NOVICEZK_API_SECRET", v.as_secret_override),
    "admin_secret": Source("MJRELAY_ADMIN_SECRET", v.as_secret),
    "banned_words": _list("MJRELAY_BANNED_WORDS", v.as_words),
    "banned_words_file": Source("MJRELAY_BANNED_WORDS_FILE", v.as_optional_path),
    "webman_api_prefix": Source("MJRELAY_WEBMAN_API_PREFIX", v.as_api_prefix),
    "cdn_host": Source("MJRELAY_CDN_HOST", v.as_cdn_host),
    "storage_url": Source("MJRELAY_STORAGE_URL", v.as_storage_url),
    "storage_public_url": Source("MJRELAY_STORAGE_PUBLIC_URL", v.as_public_url),
    "storage_presign_s": Source("MJRELAY_STORAGE_PRESIGN_S", v.as_int_between(0, 604800)),
    "allowed_hosts": _list("MJRELAY_ALLOWED_HOSTS", v.as_hosts),
    "forwarded_allow_ips": _list("MJRELAY_FORWARDED_ALLOW_IPS", v.as_comma_list),
    "submit_dialect": Source("MJRELAY_SUBMIT_DIALECT", v.one_of(SUBMIT_DIALECTS)),
    "image_max_bytes": Source("MJRELAY_IMAGE_MAX_BYTES", v.as_byte_size),
    "image_allow_private": Source("MJRELAY_IMAGE_ALLOW_PRIVATE", v.as_bool),
    "prompt_max_chars": Source("MJRELAY_PROMPT_MAX_CHARS", v.as_int_between(1, 6000)),
    "imagine_max_images": Source("MJRELAY_IMAGINE_MAX_IMAGES", v.as_int_between(0, 10)),
    "client_data_max_bytes": Source("MJRELAY_CLIENT_DATA_MAX_BYTES", v.as_int_between(0, 1048576)),
    "body_max_bytes": Source("MJRELAY_BODY_MAX_BYTES", v.as_int_between(65536, 16777216)),
}


def _file_items(value: list[Any]) -> list[str]:
    """A TOML array's entries as the items of a list setting (numbers allowed: `[5, 60]`)."""
    items = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ValueError("each entry must be a string or a number")
        items.append(str(item).strip())
    return [item for item in items if item]


def _parse(source: Source, value: Any) -> Any:
    """One setting's value: text from the environment, any TOML value from the file."""
    if source.listed:
        if isinstance(value, list):
            return source.parse(_file_items(value))
        if not isinstance(value, str):
            raise ValueError("must be a list or comma-separated text")
        return source.parse(v.split_items(value))
    # A TOML number, boolean or array of tables is read as the text the variable would hold.
    return source.parse(value if isinstance(value, str) else json.dumps(value))


# Settings whose value is secret (or holds secrets): an error about them never echoes the value.
SECRET_SETTINGS = frozenset(f.name for f in fields(Settings) if is_secret(f))


def _invalid(name: str, origin: str, value: Any, reason: object) -> SettingsError:
    if name in SECRET_SETTINGS:
        return SettingsError(f"{origin}: invalid value (not shown: it holds secrets): {reason}")
    text = value if isinstance(value, str) else json.dumps(value)
    return SettingsError(f"{origin}: invalid value {text!r}: {reason}")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"MJRELAY_CONFIG: file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"MJRELAY_CONFIG: {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(SOURCES))
    if unknown:
        raise SettingsError(f"MJRELAY_CONFIG: unknown setting(s) in {path}: {', '.join(unknown)}")
    return data


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `environ` (default: os.environ) and the optional config file."""
    env = os.environ if environ is None else environ
    raw: dict[str, tuple[str, Any]] = {}  # field -> (where it came from, value)
    config_file = env.get("MJRELAY_CONFIG", "").strip()
    if config_file:
        for key, value in _read_file(Path(config_file).expanduser()).items():
            raw[key] = (f"{key} in {config_file}", value)
    for name, source in SOURCES.items():
        if source.variable in env:
            raw[name] = (source.variable, env[source.variable])
    values: dict[str, Any] = {}
    for name, (origin, value) in raw.items():
        source = SOURCES[name]
        try:
            values[name] = _parse(source, value)
        except (TypeError, ValueError) as exc:
            raise _invalid(name, origin, value, exc) from None
    return Settings(**values)
