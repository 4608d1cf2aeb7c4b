"""Input images (app/domain/images.py): sniffed, decoded from data URLs, bounded."""

from __future__ import annotations

import base64

import pytest

from app.domain.images import ImageError, check_image, decode_data_url, sniff_image_type

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_images_sniff_and_decode() -> None:
    assert sniff_image_type(PNG) == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0xx") == "image/jpeg"
    assert sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"GIF89a...") == "image/gif"
    assert sniff_image_type(b"<html>") is None
    image = decode_data_url("data:image/png;base64," + base64.b64encode(PNG).decode())
    assert image.data == PNG and image.extension == "png"
    assert decode_data_url(base64.b64encode(PNG).decode()).content_type == "image/png"


@pytest.mark.parametrize(
    "text",
    ["", "data:image/png;base64,!!!", "data:image/png;base64," + base64.b64encode(b"hi").decode()],
)
def test_images_bad_data_urls(text: str) -> None:
    with pytest.raises(ImageError):
        decode_data_url(text)


def test_images_size_limit() -> None:
    with pytest.raises(ImageError, match="larger"):
        check_image(PNG + b"\0" * 2000, "x", max_bytes=1024)
    with pytest.raises(ImageError, match="larger"):
        decode_data_url(base64.b64encode(PNG + b"\0" * 4000).decode(), max_bytes=1024)
