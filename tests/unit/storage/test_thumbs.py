"""Dashboard thumbnails: a WebP no larger than 384 px on either side."""

from __future__ import annotations

import io

from PIL import Image

from app.storage.thumbs import THUMB_PX, shrink


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_large_image_becomes_a_small_webp_of_the_same_shape() -> None:
    thumb = opened(shrink(encoded(Image.new("RGB", (1024, 512), (200, 40, 40)), "PNG")))
    assert thumb.format == "WEBP"
    assert thumb.size == (THUMB_PX, THUMB_PX // 2)
    assert thumb.getpixel((10, 10))[0] > 150  # still the picture's colour


def test_a_small_webp_is_its_own_thumbnail() -> None:
    small = encoded(Image.new("RGB", (200, 300), (0, 90, 0)), "WEBP")
    assert shrink(small) == small


def test_a_small_image_of_another_format_is_converted() -> None:
    palette = Image.new("P", (100, 100))
    thumb = opened(shrink(encoded(palette, "PNG")))
    assert thumb.format == "WEBP" and thumb.size == (100, 100)
