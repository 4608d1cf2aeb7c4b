from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from app.api.checks import BannedWordSource
from app.config import load_settings
from app.errors import SettingsError


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


def test_banned_words_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "banned.txt"
    source = BannedWordSource(("nude",), path)
    assert source.current().find("a nude bra") == "nude"  # file missing: setting only
    path.write_text("bra\n# comment\n", encoding="utf-8")
    assert source.current().find("a red bra") == "bra"
    path.write_text("hat\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert source.current().find("a red bra") is None
    assert source.current().find("a red HAT") == "HAT"
