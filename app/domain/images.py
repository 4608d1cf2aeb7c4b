"""Input images: type sniffing by magic bytes, and base64 data URLs (pure)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)$", re.S
)


class ImageError(ValueError):
    """An input image is unusable; the message says why."""


@dataclass(frozen=True)
class InputImage:
    """Bytes ready for the worker to upload to Discord."""

    data: bytes
    content_type: str
    source: str  # "url:<url>", "base64", "upload:<filename>"

    @property
    def extension(self) -> str:
        return _EXTENSIONS.get(self.content_type, "bin")


def sniff_image_type(data: bytes) -> str | None:
    """The image type of `data` from its first bytes, or None when it is not PNG/JPEG/WEBP/GIF."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def check_image(data: bytes, source: str, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> InputImage:
    if not data:
        raise ImageError("image is empty")
    if len(data) > max_bytes:
        raise ImageError(f"image is larger than {max_bytes} bytes")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise ImageError("not an image (PNG, JPEG, WEBP or GIF expected)")
    return InputImage(data=data, content_type=content_type, source=source)


def decode_data_url(text: str, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> InputImage:
    """A `data:image/png;base64,…` URL (or bare base64) decoded and checked."""
    if not isinstance(text, str) or not text.strip():
        raise ImageError("base64 image is empty")
    match = _DATA_URL.match(text.strip())
    payload = match.group("data") if match else text.strip()
    if len(payload) > (max_bytes * 4) // 3 + 8:
        raise ImageError(f"image is larger than {max_bytes} bytes")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("invalid base64 data") from None
    return check_image(data, "base64", max_bytes)
