"""Which configurations are open, and what an exposed open server warns at start."""

from __future__ import annotations

import pytest

from app.api.access import exposure_warnings, is_protected, operator_secrets
from app.config import Settings, load_settings
from app.serve import _web_server


@pytest.mark.parametrize(
    ("settings", "protected"),
    [
        (Settings(), False),
        (Settings(discordxy_api_secret=""), False),
        (Settings(api_secret="a"), True),
        (Settings(admin_secret="a"), True),
        (Settings(webman_api_secret="w"), True),
        (Settings(api_secret="a", novicezk_api_secret=""), True),
    ],
)
def test_any_secret_protects_cross_client_reads(settings: Settings, protected: bool) -> None:
    assert is_protected(settings) is protected
    assert all(operator_secrets(settings))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org"])
def test_an_open_server_beyond_loopback_warns(host: str) -> None:
    public = {"cdn_host": "https://relay.example.org"}
    (warning,) = exposure_warnings(Settings(**public), host)
    assert "NO SECRET IS SET" in warning and host in warning
    assert exposure_warnings(Settings(novicezk_api_secret="k", **public), host) == []


def test_an_exposed_server_without_a_public_url_says_where_result_urls_point() -> None:
    settings = Settings(api_secret="k", port=8123)
    (warning,) = exposure_warnings(settings, "0.0.0.0")
    assert "http://127.0.0.1:8123" in warning and "MJRELAY_CDN_HOST" in warning
    assert exposure_warnings(Settings(api_secret="k", allowed_hosts=("relay.example",)), "::") == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]"])
def test_loopback_does_not_warn(host: str) -> None:
    assert exposure_warnings(Settings(), host) == []


def test_forwarded_allow_ips_reaches_uvicorn() -> None:
    settings = load_settings({"MJRELAY_FORWARDED_ALLOW_IPS": "10.0.0.0/8"})
    server = _web_server(settings, "postgresql://u@/db?host=/tmp", "127.0.0.1")
    assert server.config.proxy_headers is True
    assert server.config.forwarded_allow_ips == "10.0.0.0/8"
