"""The frozen `Settings` a process runs with; `app.config.loading` builds it once at start.

Every value is already parsed and checked (`app.config.values`): a consumer reads typed values
(an `Allowlist`, a `RetrySchedule`, account specs …), never text to parse again.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from app.accounts import AccountSpec
from app.callbacks.config import DispatcherConfig
from app.callbacks.policy import RetrySchedule
from app.callbacks.ssrf import Allowlist
from app.discord.constants import TRUSTED_BOT_IDS
from app.domain import limits
from app.storage.location import StorageLocation, default_location

LOG_FORMATS = ("auto", "json", "text")
LOG_LEVELS = ("debug", "info", "warning", "error")
SANDBOX_SPEEDS = ("instant", "fast", "realistic")
SUBMIT_DIALECTS = ("auto", "discordxy", "novicezk")


def _secret(default: Any) -> Any:
    """A setting that is or holds a secret: kept out of repr() and out of error messages."""
    return field(default=default, repr=False, metadata={"secret": True})


def is_secret(f: Field[Any]) -> bool:
    return bool(f.metadata.get("secret"))


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mjrelay", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """What a process needs to know; the docs table in README.md lists each variable."""

    database_url: str | None = _secret(None)
    data_dir: Path = field(default_factory=_default_data_dir)
    host: str | None = None
    port: int = 8080
    web_concurrency: int = 1  # web processes sharing the port (`mjrelay web`)
    db_pool_size: int = 20  # most PostgreSQL connections of a web or worker process's pool
    log_level: str = "info"
    log_format: str = "auto"
    # Worker
    accounts: tuple[AccountSpec, ...] = _secret(())
    worker_id: str | None = None
    account_lease_ttl_s: float = 20.0
    poll_interval_s: float = 2.0
    reconcile_grace_s: float = 15.0
    modal_timeout_s: float = 600.0
    retention_days: int = 30
    shutdown_grace_s: float = 10.0
    discord_api_base: str = "https://discord.com/api/v9"
    discord_bot_ids: tuple[str, ...] = TRUSTED_BOT_IDS
    # Accounts' speed modes and choice (docs/accounts.md)
    account_choice: str = "least-busy"
    account_choice_wait_s: float = 3.0
    fast_fallback_relax: bool = False
    niji_from_prompt: bool = False
    account_state_refresh_s: float = 900.0
    # Sandbox (used by `mjrelay up` when no real account is configured)
    sandbox_speed: str = "fast"
    sandbox_accounts: int = 2
    # HTTP API (docs/api.md). A per-dialect secret (None = inherit) overrides `api_secret`.
    api_secret: str | None = _secret(None)
    discordxy_api_secret: str | None = _secret(None)
    webman_api_secret: str | None = _secret(None)
    novicezk_api_secret: str | None = _secret(None)
    # Dashboard and /events (docs/dashboard.md): a login form when set.
    admin_secret: str | None = _secret(None)
    banned_words: tuple[str, ...] = ()
    banned_words_file: Path | None = None
    webman_api_prefix: str = ""
    cdn_host: str | None = None
    # Result files (docs/storage.md): None = file://<data_dir>/files.
    storage_url: StorageLocation | None = None
    storage_public_url: str | None = None
    storage_presign_s: int = 0
    # Host headers trusted as the origin of result URLs (app/api/origin.py); () = loopback only.
    allowed_hosts: tuple[str, ...] = ()
    # Proxies whose X-Forwarded-* headers uvicorn trusts (None: uvicorn's default, 127.0.0.1,::1).
    forwarded_allow_ips: str | None = None
    submit_dialect: str = "auto"
    # novicezk task JSON with trueai's extra fields (mode, requestMode, instanceId …; docs/api.md).
    novicezk_trueai_fields: bool = False
    image_max_bytes: int = limits.DEFAULT_MAX_IMAGE_BYTES
    image_allow_private: bool = False
    # Input limits (docs/api.md "Limits")
    prompt_max_chars: int = limits.DISCORD_PROMPT_MAX_CHARS
    imagine_max_images: int = limits.DEFAULT_IMAGINE_MAX_IMAGES
    client_data_max_bytes: int = limits.DEFAULT_CLIENT_DATA_MAX_BYTES
    body_max_bytes: int = limits.DEFAULT_BODY_MAX_BYTES
    # Callbacks (docs/callbacks.md)
    callback_allowlist: Allowlist = field(default_factory=Allowlist)
    webhook_secrets: tuple[str, ...] = _secret(())
    callback_timeout_s: float = 10.0
    callback_schedule: RetrySchedule = field(default_factory=RetrySchedule)
    callback_concurrency: int = 16

    def input_limits(self) -> limits.InputLimits:
        """The size limits every API request is held to."""
        return limits.InputLimits(
            prompt_chars=self.prompt_max_chars,
            image_bytes=self.image_max_bytes,
            imagine_images=self.imagine_max_images,
            client_data_bytes=self.client_data_max_bytes,
            body_bytes=self.body_max_bytes,
        )

    def storage_location(self) -> StorageLocation:
        """Where result files live: MJRELAY_STORAGE_URL, else a folder in the data directory."""
        return self.storage_url or default_location(self.data_dir)

    def callback_config(self) -> DispatcherConfig:
        """What the callback dispatcher runs with."""
        return DispatcherConfig(
            schedule=self.callback_schedule,
            timeout_s=self.callback_timeout_s,
            concurrency=self.callback_concurrency,
            secrets=self.webhook_secrets,
            allowlist=self.callback_allowlist,
        )

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
