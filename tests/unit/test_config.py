from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings, load_settings
from app.errors import SettingsError


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
