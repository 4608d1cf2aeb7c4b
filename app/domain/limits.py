"""How much one request may carry, field by field and in all (docs/api.md "Limits"); pure.

The body limit of a route follows from its fields: the small fields together fit in
`body_bytes`, and a route that takes base64 images adds room for that many images of
`image_bytes` each. So a route without images refuses anything past `body_bytes`, and nothing
a route cannot use is ever read.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.images import DEFAULT_MAX_IMAGE_BYTES

DISCORD_PROMPT_MAX_CHARS = 6000  # Discord refuses a longer slash-command option
BLEND_MAX_IMAGES = 5  # /blend has the options image1 … image5
DEFAULT_BODY_MAX_BYTES = 1024 * 1024
DEFAULT_CLIENT_DATA_MAX_BYTES = 16 * 1024
DEFAULT_IMAGINE_MAX_IMAGES = 5
MAX_FORM_FIELDS = 100  # a webman form: prompt, notifyUrl, images[…] (≤ 5), data[…]
MAX_URL_CHARS = 4096  # an image URL or a callback URL


def encoded_size(raw_bytes: int) -> int:
    """Room for `raw_bytes` sent as base64 in JSON or a form: 4/3, plus 5 % for escaped `/`,
    percent-encoded `+/=` and line breaks, plus a data-URL prefix."""
    return raw_bytes * 4 // 3 * 21 // 20 + 1024


@dataclass(frozen=True)
class InputLimits:
    prompt_chars: int = DISCORD_PROMPT_MAX_CHARS
    image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    imagine_images: int = DEFAULT_IMAGINE_MAX_IMAGES
    client_data_bytes: int = DEFAULT_CLIENT_DATA_MAX_BYTES
    body_bytes: int = DEFAULT_BODY_MAX_BYTES  # everything but the images

    def body_with_images(self, images: int) -> int:
        """The largest body of a route that takes up to `images` base64 images."""
        return self.body_bytes + images * encoded_size(self.image_bytes)

    def upload_body(self, files: int = 1) -> int:
        """The largest multipart body carrying `files` image files (raw bytes, not base64)."""
        return self.body_bytes + files * self.image_bytes


DEFAULT_LIMITS = InputLimits()
