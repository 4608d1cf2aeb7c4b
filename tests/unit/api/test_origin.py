"""Result URLs never take their origin from a Host header nobody vouched for."""

from __future__ import annotations

import pytest

from app.api.origin import public_origin
from app.config import Settings, load_settings
from app.errors import SettingsError


@pytest.mark.parametrize(
    ("netloc", "expected"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "http://localhost:9000"),
        ("[::1]:8080", "http://[::1]:8080"),
        ("evil.example", "http://127.0.0.1:8080"),
        ("evil.example:8080", "http://127.0.0.1:8080"),
        ("localhost.evil.example", "http://127.0.0.1:8080"),
        ("", "http://127.0.0.1:8080"),
    ],
)
def test_by_default_only_loopback_hosts_are_trusted(netloc: str, expected: str) -> None:
    assert public_origin(Settings(), "http", netloc) == expected


def test_the_address_the_server_listens_on_is_trusted_by_default() -> None:
    settings = Settings(host="192.168.1.5", port=8081)
    assert public_origin(settings, "http", "192.168.1.5:8081") == "http://192.168.1.5:8081"
    assert public_origin(settings, "http", "evil.example") == "http://192.168.1.5:8081"


@pytest.mark.parametrize(
    ("netloc", "expected"),
    [
        ("relay.example.com", "https://relay.example.com"),
        ("RELAY.example.com:443", "https://RELAY.example.com:443"),
        ("eu.relay.example.org", "https://eu.relay.example.org"),
        ("relay.example.org", "https://relay.example.com"),
        ("evil.example", "https://relay.example.com"),
        ("relay.example.com.evil.example", "https://relay.example.com"),
        ("127.0.0.1:8080", "https://relay.example.com"),
    ],
)
def test_allowed_hosts_are_trusted_and_the_first_is_the_fallback(
    netloc: str, expected: str
) -> None:
    settings = load_settings({"MJRELAY_ALLOWED_HOSTS": "relay.example.com, *.relay.example.org"})
    assert public_origin(settings, "https", netloc) == expected


def test_a_host_with_a_port_matches_that_port_only() -> None:
    settings = Settings(allowed_hosts=("relay.example.com:8443",))
    assert public_origin(settings, "https", "relay.example.com:8443").endswith(":8443")
    assert public_origin(settings, "https", "relay.example.com:9999") == (
        "https://relay.example.com:8443"
    )


def test_star_trusts_every_host_and_the_cdn_host_wins_over_all() -> None:
    assert public_origin(Settings(allowed_hosts=("*",)), "http", "any.example") == (
        "http://any.example"
    )
    settings = Settings(cdn_host="https://img.example.com", allowed_hosts=("*",))
    assert public_origin(settings, "http", "any.example") == "https://img.example.com"


@pytest.mark.parametrize("value", ["https://relay.example.com", "a b", "*relay", "x/y", "**.a"])
def test_allowed_hosts_are_host_names(value: str) -> None:
    with pytest.raises(SettingsError, match="MJRELAY_ALLOWED_HOSTS"):
        load_settings({"MJRELAY_ALLOWED_HOSTS": value})
