"""MJRELAY_STORAGE_URL parsing, the AWS variables, and the object key layout (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_settings
from app.domain.task import Task
from app.errors import SettingsError
from app.storage.keys import loggable_key, object_key, result_key, task_of
from app.storage.location import StorageLocation, default_location, parse_storage_url
from app.storage.store import s3_config


def test_file_and_s3_urls() -> None:
    assert parse_storage_url("file:///srv/mjrelay/files") == StorageLocation(
        "file", path="/srv/mjrelay/files"
    )
    assert parse_storage_url("s3://results") == StorageLocation("s3", bucket="results")
    assert parse_storage_url("s3://results/mj/prod/") == StorageLocation(
        "s3", bucket="results", prefix="mj/prod"
    )
    assert parse_storage_url("s3://results/mj").describe() == "s3://results/mj"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file://relative/x", "local folder"),
        ("file:relative", "absolute path"),
        ("s3://", "names a bucket"),
        ("s3://key:secret@bucket/p", "AWS_"),
        ("s3://bucket/p?region=x", "AWS_"),
        ("gs://bucket", "file:///folder or s3://"),
        ("/srv/files", "file:///folder or s3://"),
    ],
)
def test_bad_storage_urls_say_why(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_storage_url(url)


def test_settings_default_to_a_folder_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings({"MJRELAY_DATA_DIR": str(tmp_path)})
    assert settings.storage_location() == default_location(tmp_path)
    assert settings.storage_location().path == str(tmp_path.resolve() / "files")
    chosen = load_settings(
        {
            "MJRELAY_STORAGE_URL": "s3://bucket/prefix",
            "MJRELAY_STORAGE_PUBLIC_URL": "https://files.example.com/",
            "MJRELAY_STORAGE_PRESIGN_S": "600",
        }
    )
    assert chosen.storage_location() == StorageLocation("s3", bucket="bucket", prefix="prefix")
    assert chosen.storage_public_url == "https://files.example.com"
    assert chosen.storage_presign_s == 600
    with pytest.raises(SettingsError, match="MJRELAY_STORAGE_URL"):
        load_settings({"MJRELAY_STORAGE_URL": "ftp://x"})
    with pytest.raises(SettingsError, match="MJRELAY_STORAGE_PUBLIC_URL"):
        load_settings({"MJRELAY_STORAGE_PUBLIC_URL": "files.example.com"})


def test_the_standard_aws_variables_configure_s3() -> None:
    config = s3_config(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:8333",
            "AWS_ACCESS_KEY_ID": "id",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    assert config == {
        "endpoint": "http://127.0.0.1:8333",
        "access_key_id": "id",
        "secret_access_key": "secret",
        "region": "eu-west-1",
    }
    both = s3_config({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "auto"})
    assert both["region"] == "auto"  # AWS_REGION wins, as in the AWS tools
    assert s3_config({})["region"] == "us-east-1"


def test_keys_start_with_the_task_and_hold_its_token() -> None:
    task = Task(
        id="1700000000000000001",
        dialect="novicezk",
        action="IMAGINE",
        image_url="https://cdn.discordapp.com/attachments/1/2/cat.png?ex=1&is=2&hm=3&",
        properties={"_file_token": "f00d"},
    )
    assert result_key(task, "image") == "tasks/1700000000000000001/f00d/image.png"
    assert result_key(task, "video") is None
    assert task_of("tasks/1700000000000000001/f00d/image.png") == "1700000000000000001"
    assert task_of(object_key("7", None, "thumb.webp")) == "7"
    assert task_of("elsewhere/7/x/y") is None and task_of("tasks/7/image.png") is None


def test_loggable_keys_hide_the_file_token() -> None:
    key = object_key("1700000000000000001", "f00dcafe", "image.png")
    assert loggable_key(key) == "tasks/1700000000000000001/{token}/image.png"
    assert "f00dcafe" not in loggable_key(key)
    assert loggable_key("tasks/") == "tasks/"
