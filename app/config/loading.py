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
from app.domain.speed import ACCOUNT_CHOICES
from app.errors import SettingsError


@dataclass(frozen=True)
class Source:
    variable: str
    parse: Callable[[Any], Any]
    listed: bool = False  # its parser takes the list's items (comma-separated or a TOML array)


@dataclass(frozen=True)
class _Listed:
    """A list setting's parser: it takes the list's items."""

    parse: Callable[[v.Items], Any]


# The variables not named MJRELAY_<FIELD>: the PaaS conventions, and one kept singular.
_VARIABLES = {
    "database_url": "DATABASE_URL",
    "port": "PORT",
    "web_concurrency": "WEB_CONCURRENCY",
    "webhook_secrets": "MJRELAY_WEBHOOK_SECRET",
}

# Settings field -> its parser. The variable is MJRELAY_<FIELD> (but _VARIABLES), the file key the
# field name.
_PARSERS: dict[str, Callable[[str], Any] | _Listed] = {
    "database_url": v.as_optional_str,
    "data_dir": v.as_path,
    "host": v.as_optional_str,
    "port": v.as_port,
    "web_concurrency": v.as_int_between(1, 64),
    "db_pool_size": v.as_int_between(2, 500),
    "log_level": v.one_of(LOG_LEVELS),
    "log_format": v.one_of(LOG_FORMATS),
    "callback_allowlist": _Listed(v.as_allowlist),
    "webhook_secrets": _Listed(v.as_webhook_keys),
    "callback_timeout_s": v.as_callback_timeout,
    "callback_schedule": _Listed(v.as_retry_schedule),
    "callback_concurrency": v.as_int_between(1, 256),
    "accounts": v.as_accounts,
    "worker_id": v.as_optional_str,
    "account_lease_ttl_s": v.as_float_between(2, 30),
    "poll_interval_s": v.as_float_between(0.05, 60),
    "reconcile_grace_s": v.as_float_between(1, 300),
    "modal_timeout_s": v.as_float_between(10, 86400),
    "retention_days": v.as_int_between(1, 3650),
    "shutdown_grace_s": v.as_float_between(1, 300),
    "discord_api_base": v.as_url,
    "discord_bot_ids": _Listed(v.as_snowflakes),
    "account_choice": v.one_of(ACCOUNT_CHOICES),
    "account_choice_wait_s": v.as_float_between(0, 600),
    "fast_fallback_relax": v.as_bool,
    "niji_from_prompt": v.as_bool,
    "account_state_refresh_s": v.as_float_between(30, 86400),
    "sandbox_speed": v.one_of(SANDBOX_SPEEDS),
    "sandbox_accounts": v.as_int_between(1, 50),
    "api_secret": v.as_secret,
    "discordxy_api_secret": v.as_secret_override,
    "webman_api_secret": v.as_secret_override,
    "novicezk_api_secret": v.as_secret_override,
    "admin_secret": v.as_secret,
    "banned_words": _Listed(v.as_words),
    "banned_words_file": v.as_optional_path,
    "webman_api_prefix": v.as_api_prefix,
    "cdn_host": v.as_cdn_host,
    "storage_url": v.as_storage_url,
    "storage_public_url": v.as_public_url,
    "storage_presign_s": v.as_int_between(0, 604800),
    "allowed_hosts": _Listed(v.as_hosts),
    "forwarded_allow_ips": _Listed(v.as_comma_list),
    "submit_dialect": v.one_of(SUBMIT_DIALECTS),
    "novicezk_trueai_fields": v.as_bool,
    "image_max_bytes": v.as_byte_size,
    "image_allow_private": v.as_bool,
    "prompt_max_chars": v.as_int_between(1, 6000),
    "imagine_max_images": v.as_int_between(0, 10),
    "client_data_max_bytes": v.as_int_between(0, 1048576),
    "body_max_bytes": v.as_int_between(65536, 16777216),
}


def _source(name: str, parser: Callable[[str], Any] | _Listed) -> Source:
    variable = _VARIABLES.get(name, f"MJRELAY_{name.upper()}")
    if isinstance(parser, _Listed):
        return Source(variable, parser.parse, listed=True)
    return Source(variable, parser)


# Settings field -> where it comes from.
SOURCES: dict[str, Source] = {name: _source(name, parser) for name, parser in _PARSERS.items()}


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
