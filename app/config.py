"""Settings: one frozen object per process, built from the environment and an optional file.

Every setting has an environment variable (`MJRELAY_*`, plus the PaaS conventions `DATABASE_URL`
and `PORT`). A TOML file named by `MJRELAY_CONFIG` may set the same keys in lower case without the
prefix (`port = 8080`, `log_level = "debug"`); the environment wins over the file. Invalid values
fail at start with a `SettingsError` naming the setting, never later in a request.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from app.accounts import AccountSpec, parse_accounts_json
from app.api import config_values as api_values
from app.callbacks.policy import DEFAULT_SCHEDULE_S, parse_schedule, parse_timeout
from app.callbacks.signing import parse_secrets
from app.callbacks.ssrf import parse_allowlist
from app.discord.constants import TRUSTED_BOT_IDS
from app.domain import limits
from app.errors import SettingsError

LOG_FORMATS = ("auto", "json", "text")
LOG_LEVELS = ("debug", "info", "warning", "error")
SANDBOX_SPEEDS = ("instant", "fast", "realistic")


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mjrelay", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """What a process needs to know; the docs table in README.md lists each variable."""

    database_url: str | None = None
    data_dir: Path = field(default_factory=_default_data_dir)
    host: str | None = None
    port: int = 8080
    log_level: str = "info"
    log_format: str = "auto"
    # Worker
    accounts: tuple[AccountSpec, ...] = ()
    worker_id: str | None = None
    account_lease_ttl_s: float = 20.0
    poll_interval_s: float = 2.0
    reconcile_grace_s: float = 15.0
    modal_timeout_s: float = 600.0
    retention_days: int = 30
    shutdown_grace_s: float = 10.0
    discord_api_base: str = "https://discord.com/api/v9"
    discord_bot_ids: tuple[str, ...] = TRUSTED_BOT_IDS
    # Sandbox (used by `mjrelay up` when no real account is configured)
    sandbox_speed: str = "fast"
    sandbox_accounts: int = 2
    # HTTP API (docs/api.md). A per-dialect secret (None = inherit) overrides `api_secret`.
    api_secret: str | None = None
    discordxy_api_secret: str | None = None
    webman_api_secret: str | None = None
    novicezk_api_secret: str | None = None
    # Dashboard and /events (docs/dashboard.md): a login form when set.
    admin_secret: str | None = None
    banned_words: tuple[str, ...] = ()
    banned_words_file: Path | None = None
    webman_api_prefix: str = ""
    cdn_host: str | None = None
    # Host headers trusted as the origin of result URLs (app/api/origin.py); () = loopback only.
    allowed_hosts: tuple[str, ...] = ()
    # Proxies whose X-Forwarded-* headers uvicorn trusts (None: uvicorn's default, 127.0.0.1).
    forwarded_allow_ips: str | None = None
    submit_dialect: str = "auto"
    image_max_bytes: int = api_values.DEFAULT_IMAGE_MAX_BYTES
    image_allow_private: bool = False
    # Input limits (docs/api.md "Limits")
    prompt_max_chars: int = limits.DISCORD_PROMPT_MAX_CHARS
    imagine_max_images: int = limits.DEFAULT_IMAGINE_MAX_IMAGES
    client_data_max_bytes: int = limits.DEFAULT_CLIENT_DATA_MAX_BYTES
    body_max_bytes: int = limits.DEFAULT_BODY_MAX_BYTES
    # Callbacks (docs/callbacks.md)
    callback_allowlist: tuple[str, ...] = ()
    webhook_secrets: tuple[str, ...] = ()
    callback_timeout_s: float = 10.0
    callback_schedule: tuple[float, ...] = DEFAULT_SCHEDULE_S
    callback_concurrency: int = 16

    def api_secret_for(self, dialect: str) -> str | None:
        """The secret clients of `dialect` must send; None or "" = no check."""
        override = getattr(self, f"{dialect}_api_secret", None)
        return override if override is not None else self.api_secret

    def api_secrets(self) -> list[str]:
        values = [self.api_secret, self.discordxy_api_secret, self.webman_api_secret]
        return [v for v in [*values, self.novicezk_api_secret] if v]

    def secrets(self) -> list[str]:
        """Values that must never be printed; the log redaction filter is fed from here."""
        found: list[str] = []
        found.extend(s for s in self.api_secrets() if s)
        if self.admin_secret:
            found.append(self.admin_secret)
        if self.database_url and "@" in self.database_url:
            creds = self.database_url.split("://", 1)[-1].split("@", 1)[0]
            password = creds.split(":", 1)[1] if ":" in creds else ""
            if password:
                found.append(password)
        found.extend(account.token for account in self.accounts)
        found.extend(self.webhook_secrets)
        return found


def _as_str(value: str) -> str:
    return value.strip()


def _as_optional_str(value: str) -> str | None:
    return value.strip() or None


def _as_path(value: str) -> Path:
    if not value.strip():
        raise ValueError("must not be empty")
    return Path(value.strip()).expanduser()


def _as_port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError("must be between 0 and 65535")
    return port


def _as_float_between(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = float(value)
        if not low <= number <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return number

    return parse


def _as_int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _as_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _as_snowflakes(value: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in value.split(",") if part.strip())
    if not ids:
        raise ValueError("must name at least one application id")
    for one in ids:
        if not (one.isascii() and one.isdigit() and 15 <= len(one) <= 20):
            raise ValueError(f"{one!r} is not a Discord id (15-20 digits)")
    return ids


def _as_accounts(value: str) -> tuple[AccountSpec, ...]:
    return tuple(parse_accounts_json(value)) if value.strip() else ()


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return lowered

    return parse


# field name -> (environment variable, parser). The file key is the field name.
_SOURCES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("DATABASE_URL", _as_optional_str),
    "data_dir": ("MJRELAY_DATA_DIR", _as_path),
    "host": ("MJRELAY_HOST", _as_optional_str),
    "port": ("PORT", _as_port),
    "log_level": ("MJRELAY_LOG_LEVEL", _one_of(LOG_LEVELS)),
    "log_format": ("MJRELAY_LOG_FORMAT", _one_of(LOG_FORMATS)),
    "callback_allowlist": ("MJRELAY_CALLBACK_ALLOWLIST", parse_allowlist),
    "webhook_secrets": ("MJRELAY_WEBHOOK_SECRET", parse_secrets),
    "callback_timeout_s": ("MJRELAY_CALLBACK_TIMEOUT_S", parse_timeout),
    "callback_schedule": ("MJRELAY_CALLBACK_SCHEDULE", parse_schedule),
    "callback_concurrency": ("MJRELAY_CALLBACK_CONCURRENCY", _as_int_between(1, 256)),
    "accounts": ("MJRELAY_ACCOUNTS", _as_accounts),
    "worker_id": ("MJRELAY_WORKER_ID", _as_optional_str),
    "account_lease_ttl_s": ("MJRELAY_ACCOUNT_LEASE_TTL_S", _as_float_between(2, 30)),
    "poll_interval_s": ("MJRELAY_POLL_INTERVAL_S", _as_float_between(0.05, 60)),
    "reconcile_grace_s": ("MJRELAY_RECONCILE_GRACE_S", _as_float_between(1, 300)),
    "modal_timeout_s": ("MJRELAY_MODAL_TIMEOUT_S", _as_float_between(10, 86400)),
    "retention_days": ("MJRELAY_RETENTION_DAYS", _as_int_between(1, 3650)),
    "shutdown_grace_s": ("MJRELAY_SHUTDOWN_GRACE_S", _as_float_between(1, 300)),
    "discord_api_base": ("MJRELAY_DISCORD_API_BASE", _as_url),
    "discord_bot_ids": ("MJRELAY_DISCORD_BOT_IDS", _as_snowflakes),
    "sandbox_speed": ("MJRELAY_SANDBOX_SPEED", _one_of(SANDBOX_SPEEDS)),
    "sandbox_accounts": ("MJRELAY_SANDBOX_ACCOUNTS", _as_int_between(1, 50)),
    "api_secret": ("MJRELAY_API_SECRET", api_values.as_secret),
    "discordxy_api_secret": ("MJRELAY_DISCORDXY_API_SECRET", api_values.as_secret_override),
    "webman_api_secret": ("MJRELAY_WEBMAN_API_SECRET", api_values.as_secret_override),
    "novicezk_api_secret": ("MJRELAY_NOVICEZK_API_SECRET", api_values.as_secret_override),
    "admin_secret": ("MJRELAY_ADMIN_SECRET", api_values.as_secret),
    "banned_words": ("MJRELAY_BANNED_WORDS", api_values.as_words),
    "banned_words_file": ("MJRELAY_BANNED_WORDS_FILE", api_values.as_optional_path),
    "webman_api_prefix": ("MJRELAY_WEBMAN_API_PREFIX", api_values.as_api_prefix),
    "cdn_host": ("MJRELAY_CDN_HOST", api_values.as_cdn_host),
    "allowed_hosts": ("MJRELAY_ALLOWED_HOSTS", api_values.as_hosts),
    "forwarded_allow_ips": ("MJRELAY_FORWARDED_ALLOW_IPS", _as_optional_str),
    "submit_dialect": ("MJRELAY_SUBMIT_DIALECT", _one_of(api_values.SUBMIT_DIALECTS)),
    "image_max_bytes": ("MJRELAY_IMAGE_MAX_BYTES", api_values.as_byte_size),
    "image_allow_private": ("MJRELAY_IMAGE_ALLOW_PRIVATE", api_values.as_bool),
    "prompt_max_chars": ("MJRELAY_PROMPT_MAX_CHARS", _as_int_between(1, 6000)),
    "imagine_max_images": ("MJRELAY_IMAGINE_MAX_IMAGES", _as_int_between(0, 10)),
    "client_data_max_bytes": ("MJRELAY_CLIENT_DATA_MAX_BYTES", _as_int_between(0, 1048576)),
    "body_max_bytes": ("MJRELAY_BODY_MAX_BYTES", _as_int_between(65536, 16777216)),
}


# Settings whose text is secret (or holds secrets): an error about them never echoes the value.
_SECRET_FIELDS = frozenset(
    {
        "database_url",
        "accounts",
        "webhook_secrets",
        "api_secret",
        "discordxy_api_secret",
        "webman_api_secret",
        "novicezk_api_secret",
        "admin_secret",
    }
)


def _invalid(name: str, origin: str, text: str, reason: object) -> SettingsError:
    if name in _SECRET_FIELDS:
        return SettingsError(f"{origin}: invalid value (not shown: it holds secrets): {reason}")
    return SettingsError(f"{origin}: invalid value {text!r}: {reason}")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"MJRELAY_CONFIG: file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"MJRELAY_CONFIG: {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_SOURCES))
    if unknown:
        raise SettingsError(f"MJRELAY_CONFIG: unknown setting(s) in {path}: {', '.join(unknown)}")
    return data


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `environ` (default: os.environ) and the optional config file."""
    env = os.environ if environ is None else environ
    raw: dict[str, tuple[str, str]] = {}  # field -> (where it came from, text)
    config_file = env.get("MJRELAY_CONFIG", "").strip()
    if config_file:
        for key, value in _read_file(Path(config_file).expanduser()).items():
            text = value if isinstance(value, str) else json.dumps(value)
            raw[key] = (f"{key} in {config_file}", text)
    for name, (variable, _parse) in _SOURCES.items():
        if variable in env:
            raw[name] = (variable, env[variable])
    values: dict[str, Any] = {}
    for name, (origin, text) in raw.items():
        _variable, parse = _SOURCES[name]
        try:
            values[name] = parse(text)
        except (TypeError, ValueError) as exc:
            raise _invalid(name, origin, text, exc) from None
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in known})
