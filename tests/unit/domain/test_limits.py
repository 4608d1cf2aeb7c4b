"""Input limits (app/domain/limits.py): a body has room for the images its route takes."""

from __future__ import annotations

from app.domain.limits import InputLimits, encoded_size


def test_body_limits_leave_room_for_the_images_a_route_takes() -> None:
    limits = InputLimits(image_bytes=3 * 1024 * 1024, body_bytes=1024 * 1024)
    assert limits.body_with_images(0) == 1024 * 1024
    # A 3 MiB image is 4 MiB of base64; PHP clients escape every `/` as `\/`.
    assert encoded_size(3 * 1024 * 1024) > 4 * 1024 * 1024 * 1.04
    assert limits.body_with_images(5) == 1024 * 1024 + 5 * encoded_size(3 * 1024 * 1024)
    assert limits.upload_body() == 4 * 1024 * 1024
