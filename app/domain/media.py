"""The real type of a result file, from its first bytes (pure; never the sender's header).

Only these types are ever served inline: a file claiming `image/png` that is really HTML or SVG
would otherwise run script on the dashboard's origin.
"""

from __future__ import annotations

from app.domain.images import sniff_image_type

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
}


def sniff_media_type(data: bytes) -> str | None:
    """PNG/JPEG/WEBP/GIF or MP4/QuickTime/WebM by magic bytes; None for anything else."""
    image = sniff_image_type(data)
    if image is not None:
        return image
    if data[4:8] == b"ftyp":  # ISO base media: a size, then the `ftyp` box naming the brand
        return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):  # EBML header (WebM / Matroska)
        return "video/webm"
    return None


def media_extension_of(content_type: str) -> str:
    """The file extension for a type `sniff_media_type` returns ("" for anything else)."""
    return _EXTENSIONS.get(content_type, "")
