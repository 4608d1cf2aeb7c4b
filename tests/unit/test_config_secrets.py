"""A configuration error names the setting and the reason, never a secret it holds."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from app.config import Settings, load_settings
from app.config.loading import SECRET_SETTINGS
from app.errors import SettingsError

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
OTHER_TOKEN = "plain-token-without-discord-shape-42"
GOOD_KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _accounts(**overrides: object) -> str:
    first = {"token": TOKEN, "guild_id": "1", "channel_id": "2", **overrides}
    second = {"token": OTHER_TOKEN, "guild_id": "1", "channel_id": "3"}
    return json.dumps([first, second])


@pytest.mark.parametrize(
    ("variable", "value", "secrets", "reason"),
    [
        pytest.param(
            "MJRELAY_ACCOUNTS",
            _accounts(mode="hyper"),
            [TOKEN, OTHER_TOKEN, "abcdefghijklmnop"],
            "mode must be one of",
            id="accounts-bad-mode",
        ),
        pytest.param(
            "MJRELAY_ACCOUNTS",
            _accounts(bots=5),
            [TOKEN, OTHER_TOKEN, "abcdefghijklmnop"],
            "bots must be a list",
            id="accounts-bots-not-a-list",
        ),
        pytest.param(
            "MJRELAY_ACCOUNTS",
            _accounts(task_timeout_s=[1]),
            [TOKEN, OTHER_TOKEN],
            "task_timeout_s must be a whole number",
            id="accounts-timeout-not-a-number",
        ),
        pytest.param(
            "MJRELAY_WEBHOOK_SECRET",
            f"{GOOD_KEY},whsec_not*base64,whsec_second-key-value",
            [GOOD_KEY, "MfKQ9r8G", "second-key-value", "not*base64"],
            "base64",
            id="webhook-secret-bad-key",
        ),
    ],
)
def test_a_config_error_names_the_setting_but_shows_no_secret(
    variable: str, value: str, secrets: list[str], reason: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert message.startswith(variable) and reason in message
    for secret in secrets:
        assert secret not in message


def test_a_bad_accounts_value_in_the_config_file_shows_no_token(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text(
        f'accounts = [{{token = "{OTHER_TOKEN}", guild_id = "1", channel_id = "2",'
        ' mode = "hyper"}]\n'
    )
    with pytest.raises(SettingsError) as caught:
        load_settings({"MJRELAY_CONFIG": str(config)})
    assert "mode must be one of" in str(caught.value)
    assert OTHER_TOKEN not in str(caught.value)


def test_other_settings_still_echo_their_value() -> None:
    with pytest.raises(SettingsError, match="'eighty'"):
        load_settings({"PORT": "eighty"})


def test_the_settings_repr_shows_no_secret() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://relay:db-password-77@db/mjrelay",
            "MJRELAY_ACCOUNTS": _accounts(),
            "MJRELAY_WEBHOOK_SECRET": GOOD_KEY,
            "MJRELAY_API_SECRET": "api-secret-11",
            "MJRELAY_DISCORDXY_API_SECRET": "dxy-secret-22",
            "MJRELAY_WEBMAN_API_SECRET": "webman-secret-33",
            "MJRELAY_NOVICEZK_API_SECRET": "nz-secret-44",
            "MJRELAY_ADMIN_SECRET": "admin-secret-55",
        }
    )
    shown = repr(settings)
    assert "port=8080" in shown  # the rest is still there to read
    for secret in [*settings.secrets(), TOKEN, OTHER_TOKEN, "db-password-77"]:
        assert secret not in shown


def test_every_setting_named_like_a_secret_is_treated_as_one() -> None:
    named = {f.name for f in fields(Settings) if "secret" in f.name or "token" in f.name}
    assert named <= SECRET_SETTINGS
    assert {"database_url", "accounts"} <= SECRET_SETTINGS
