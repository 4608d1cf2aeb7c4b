"""The settings' value parsers (app/config/values.py) and the typed values `Settings` holds."""

from __future__ import annotations

import base64
import ipaddress
import os
from pathlib import Path

import pytest

from app.callbacks.policy import RetrySchedule
from app.callbacks.ssrf import Allowlist
from app.config import load_settings
from app.config import values as v
from app.domain.limits import InputLimits
from app.errors import SettingsError


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


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
