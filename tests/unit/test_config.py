"""Settings (app/config): read once from the environment and an optional TOML file into a typed
`Settings`; a bad value names its setting and never echoes a secret.

One module for every settings test, in sections: loading (sources and precedence), the value
parsers (app/config/values.py) with the callback settings, the API settings and input limits,
and secrets.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
from dataclasses import fields
from pathlib import Path

import pytest

from app.callbacks.policy import RetrySchedule
from app.callbacks.ssrf import Allowlist
from app.config import Settings, load_settings
from app.config import values as v
from app.config.loading import SECRET_SETTINGS
from app.domain.limits import InputLimits
from app.errors import SettingsError

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
OTHER_TOKEN = "plain-token-without-discord-shape-42"
GOOD_KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _accounts(**overrides: object) -> str:
    first = {"token": TOKEN, "guild_id": "1", "channel_id": "2", **overrides}
    second = {"token": OTHER_TOKEN, "guild_id": "1", "channel_id": "3"}
    return json.dumps([first, second])


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


# -------------------------------------------------------------------------------------- loading


def test_load_settings_defaults_when_environment_is_empty() -> None:
    settings = load_settings({})
    assert settings.port == 8080
    assert settings.database_url is None
    assert settings.host is None
    assert settings.log_format == "auto"


def test_load_settings_reads_paas_variables() -> None:
    settings = load_settings(
        {"PORT": "5001", "DATABASE_URL": "postgres://u:p@h/db", "MJRELAY_HOST": "127.0.0.1"}
    )
    assert settings.port == 5001
    assert settings.database_url == "postgres://u:p@h/db"
    assert settings.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("PORT", "eighty", id="port-not-a-number"),
        pytest.param("PORT", "70000", id="port-out-of-range"),
        pytest.param("MJRELAY_LOG_LEVEL", "chatty", id="unknown-log-level"),
        pytest.param("MJRELAY_LOG_FORMAT", "xml", id="unknown-log-format"),
        pytest.param("MJRELAY_DATA_DIR", "  ", id="empty-data-dir"),
    ],
)
def test_load_settings_rejects_invalid_value_naming_the_setting(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_load_settings_file_is_overridden_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text('port = 9000\nlog_level = "debug"\n')
    settings = load_settings({"MJRELAY_CONFIG": str(config), "PORT": "9100"})
    assert settings.port == 9100
    assert settings.log_level == "debug"


def test_load_settings_file_with_unknown_key_fails(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="colour"):
        load_settings({"MJRELAY_CONFIG": str(config)})


def test_load_settings_file_with_bad_value_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text("port = 'high'\n")
    with pytest.raises(SettingsError, match=r"port in .*mjrelay\.toml"):
        load_settings({"MJRELAY_CONFIG": str(config)})


def test_load_settings_missing_file_fails() -> None:
    with pytest.raises(SettingsError, match="MJRELAY_CONFIG"):
        load_settings({"MJRELAY_CONFIG": "/nonexistent/mjrelay.toml"})


def test_settings_secrets_include_database_password() -> None:
    settings = Settings(database_url="postgresql://user:hunter22@db.example/app")
    assert "hunter22" in settings.secrets()


def test_load_settings_parses_accounts_and_treats_tokens_as_secrets() -> None:
    accounts = (
        '[{"token": "tok-abcdef-123", "guild_id": "1", "channel_id": "2", "concurrency": 2},'
        ' {"user-token": "tok-ghijkl-456", "guild-id": "3", "channel-id": "4", "bot": "pika"}]'
    )
    settings = load_settings({"MJRELAY_ACCOUNTS": accounts})
    assert [a.id for a in settings.accounts] == ["2", "4"]
    assert settings.accounts[1].bots == ("pika",)
    assert {"tok-abcdef-123", "tok-ghijkl-456"} <= set(settings.secrets())
    assert "tok-abcdef-123" not in repr(settings)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("not json", "not valid JSON", id="bad-json"),
        pytest.param('{"token": "x"}', "JSON list", id="not-a-list"),
        pytest.param('[{"guild_id": "1", "channel_id": "2"}]', "token is required", id="no-token"),
        pytest.param(
            '[{"token": "t", "guild_id": "g", "channel_id": "2"}]', "digits", id="bad-guild"
        ),
    ],
)
def test_load_settings_rejects_bad_accounts(value: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=rf"MJRELAY_ACCOUNTS.*{reason}"):
        load_settings({"MJRELAY_ACCOUNTS": value})


def test_load_settings_accounts_from_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text(
        '[[accounts]]\ntoken = "tok-file-123456"\nguild_id = "10"\nchannel_id = "20"\n'
    )
    settings = load_settings({"MJRELAY_CONFIG": str(config)})
    assert settings.accounts[0].channel_id == "20"


# ---------------------------------------------------------- value parsers and callback settings


def test_durations_and_the_retry_schedule() -> None:
    schedule = v.as_retry_schedule(v.split_items("5s, 1m,5m,30m,2h,6h,12h,1d"))
    assert schedule.delays_s == (5.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0, 86400.0)
    assert v.as_duration("250ms") == pytest.approx(0.25)
    assert v.as_duration("1.5") == 1.5
    with pytest.raises(ValueError, match="not a duration"):
        v.as_duration("5 weeks")
    with pytest.raises(ValueError):
        v.as_retry_schedule(v.split_items(" , "))


def test_callback_timeout_bounds() -> None:
    assert v.as_callback_timeout("10s") == 10.0
    for bad in ("4", "31", "1m"):
        with pytest.raises(ValueError):
            v.as_callback_timeout(bad)


def test_allowlist_is_parsed_once_into_its_value() -> None:
    allow = v.as_allowlist(v.split_items("127.0.0.0/8, ::1 ,hooks.local,*.internal"))
    assert allow.allows_address(ipaddress.ip_address("127.0.0.9"))
    assert allow.allows_address(ipaddress.ip_address("::1"))
    assert allow.allows_host("hooks.local") and allow.allows_host("a.b.internal")
    assert v.as_allowlist([]) == Allowlist()
    with pytest.raises(ValueError, match="not a CIDR"):
        v.as_allowlist(["10.0.0.0/33x"])
    with pytest.raises(ValueError):
        v.as_allowlist(["http://x"])


def test_webhook_keys() -> None:
    good = new_secret()
    assert v.as_webhook_key(f" {good} ") == good
    assert v.as_webhook_keys([good, good]) == (good, good)
    for bad in ("nope", "whsec_", "whsec_!!!not-base64"):
        with pytest.raises(ValueError):
            v.as_webhook_key(bad)


def test_settings_carry_typed_callback_values_and_secrets_are_redacted() -> None:
    one, two = new_secret(), new_secret()
    settings = load_settings(
        {
            "MJRELAY_WEBHOOK_SECRET": f"{one},{two}",
            "MJRELAY_CALLBACK_ALLOWLIST": "127.0.0.0/8",
            "MJRELAY_CALLBACK_TIMEOUT_S": "12",
            "MJRELAY_CALLBACK_SCHEDULE": "1s,1m",
            "MJRELAY_CALLBACK_CONCURRENCY": "4",
        }
    )
    assert settings.webhook_secrets == (one, two)
    assert {one, two} <= set(settings.secrets())
    assert settings.callback_allowlist == Allowlist.parse(["127.0.0.0/8"])
    assert settings.callback_schedule == RetrySchedule((1.0, 60.0))
    config = settings.callback_config()
    assert config.allowlist is settings.callback_allowlist
    assert config.schedule is settings.callback_schedule
    assert (config.timeout_s, config.concurrency, config.secrets) == (12.0, 4, (one, two))
    assert one not in repr(config)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MJRELAY_CALLBACK_TIMEOUT_S", "4"),
        ("MJRELAY_CALLBACK_TIMEOUT_S", "31"),
        ("MJRELAY_CALLBACK_SCHEDULE", "soon"),
        ("MJRELAY_CALLBACK_CONCURRENCY", "0"),
        ("MJRELAY_CALLBACK_ALLOWLIST", "not a network!"),
        ("MJRELAY_WEBHOOK_SECRET", "hunter2"),
    ],
)
def test_settings_reject_bad_callback_values(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_list_settings_in_the_file_may_be_toml_arrays(tmp_path: Path) -> None:
    key = new_secret()
    config = tmp_path / "mjrelay.toml"
    config.write_text(
        'banned_words = ["gore", "blood bath"]\n'
        'allowed_hosts = ["relay.example.com", "*.example.org"]\n'
        'callback_allowlist = ["10.1.0.0/16", "hooks.internal"]\n'
        'callback_schedule = ["5s", "1m", 600]\n'
        f'webhook_secrets = ["{key}"]\n'
        'discord_bot_ids = ["936929561302675456"]\n'
        'forwarded_allow_ips = ["10.0.0.1", "10.0.0.2"]\n'
    )
    settings = load_settings({"MJRELAY_CONFIG": str(config)})
    assert settings.banned_words == ("gore", "blood bath")
    assert settings.allowed_hosts == ("relay.example.com", "*.example.org")
    assert settings.callback_allowlist == Allowlist.parse(["10.1.0.0/16", "hooks.internal"])
    assert settings.callback_schedule.delays_s == (5.0, 60.0, 600.0)
    assert settings.webhook_secrets == (key,)
    assert settings.discord_bot_ids == ("936929561302675456",)
    assert settings.forwarded_allow_ips == "10.0.0.1,10.0.0.2"


def test_a_list_setting_as_comma_separated_text_in_the_file_still_works(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text('banned_words = "gore, blood bath"\n')
    assert load_settings({"MJRELAY_CONFIG": str(config)}).banned_words == ("gore", "blood bath")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("port = [8080]", "port in"),
        ("banned_words = [{ word = 'x' }]", "string or a number"),
        ("banned_words = 3", "list or comma-separated"),
    ],
)
def test_a_toml_value_of_the_wrong_shape_names_the_setting(
    tmp_path: Path, line: str, reason: str
) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text(line + "\n")
    with pytest.raises(SettingsError, match=reason):
        load_settings({"MJRELAY_CONFIG": str(config)})


def test_a_bad_webhook_key_in_a_toml_array_is_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "mjrelay.toml"
    config.write_text('webhook_secrets = ["hunter2-secret-value"]\n')
    with pytest.raises(SettingsError, match="webhook_secrets in") as caught:
        load_settings({"MJRELAY_CONFIG": str(config)})
    assert "hunter2-secret-value" not in str(caught.value)


def test_settings_hand_the_api_its_input_limits() -> None:
    settings = load_settings(
        {
            "MJRELAY_PROMPT_MAX_CHARS": "100",
            "MJRELAY_IMAGE_MAX_BYTES": "2048",
            "MJRELAY_IMAGINE_MAX_IMAGES": "2",
            "MJRELAY_CLIENT_DATA_MAX_BYTES": "10",
            "MJRELAY_BODY_MAX_BYTES": "65536",
        }
    )
    assert settings.input_limits() == InputLimits(
        prompt_chars=100, image_bytes=2048, imagine_images=2, client_data_bytes=10, body_bytes=65536
    )
    assert load_settings({}).input_limits() == InputLimits()


# ---------------------------------------------------------------- API settings and input limits


def test_api_settings_from_environment(tmp_path: Path) -> None:
    words = tmp_path / "banned.txt"
    settings = load_settings(
        {
            "MJRELAY_API_SECRET": " all ",
            "MJRELAY_DISCORDXY_API_SECRET": "",
            "MJRELAY_NOVICEZK_API_SECRET": "nz",
            "MJRELAY_BANNED_WORDS": "nude, making love ,",
            "MJRELAY_BANNED_WORDS_FILE": str(words),
            "MJRELAY_WEBMAN_API_PREFIX": " /mj/ ",
            "MJRELAY_CDN_HOST": "https://img.example.com/",
            "MJRELAY_SUBMIT_DIALECT": "NOVICEZK",
            "MJRELAY_IMAGE_MAX_BYTES": "2048",
            "MJRELAY_IMAGE_ALLOW_PRIVATE": "yes",
        }
    )
    assert settings.api_secret_for("webman") == "all"
    assert settings.api_secret_for("discordxy") == ""
    assert settings.api_secret_for("novicezk") == "nz"
    assert set(settings.secrets()) >= {"all", "nz"}
    assert settings.banned_words == ("nude", "making love")
    assert settings.banned_words_file == words
    assert settings.webman_api_prefix == "mj"
    assert settings.cdn_host == "https://img.example.com"
    assert settings.submit_dialect == "novicezk"
    assert (settings.image_max_bytes, settings.image_allow_private) == (2048, True)
    defaults = load_settings({})
    assert defaults.api_secret_for("webman") is None and defaults.submit_dialect == "auto"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MJRELAY_SUBMIT_DIALECT", "webman"),
        ("MJRELAY_CDN_HOST", "img.example.com"),
        ("MJRELAY_IMAGE_MAX_BYTES", "12"),
        ("MJRELAY_IMAGE_ALLOW_PRIVATE", "maybe"),
        ("MJRELAY_WEBMAN_API_PREFIX", "a b"),
    ],
)
def test_bad_api_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_limit_settings_from_environment() -> None:
    settings = load_settings(
        {
            "MJRELAY_PROMPT_MAX_CHARS": "4000",
            "MJRELAY_IMAGINE_MAX_IMAGES": "2",
            "MJRELAY_CLIENT_DATA_MAX_BYTES": "1024",
            "MJRELAY_BODY_MAX_BYTES": "131072",
        }
    )
    assert settings.prompt_max_chars == 4000
    assert settings.imagine_max_images == 2
    assert settings.client_data_max_bytes == 1024
    assert settings.body_max_bytes == 131072
    defaults = load_settings({})
    assert (defaults.prompt_max_chars, defaults.imagine_max_images) == (6000, 5)
    assert (defaults.client_data_max_bytes, defaults.body_max_bytes) == (16384, 1048576)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MJRELAY_PROMPT_MAX_CHARS", "6001"),  # Discord refuses more
        ("MJRELAY_PROMPT_MAX_CHARS", "0"),
        ("MJRELAY_IMAGINE_MAX_IMAGES", "11"),
        ("MJRELAY_CLIENT_DATA_MAX_BYTES", "-1"),
        ("MJRELAY_BODY_MAX_BYTES", "1000"),
    ],
)
def test_bad_limit_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


# -------------------------------------------------------------------------------------- secrets


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
