"""Submit routes as rows (app/api/submit_route.py): each handler is documented by its parser, and
a body is read with room for exactly the images its route takes."""

from __future__ import annotations

import pytest

from app.api import discordxy_routes, novicezk_routes, webman_routes
from app.api.submit_route import _room
from app.domain.limits import BLEND_MAX_IMAGES, InputLimits

LIMITS = InputLimits(image_bytes=1000, imagine_images=3, body_bytes=70_000)
SUBMITS = {
    **discordxy_routes.SUBMITS,
    **{f"novicezk{path}": handler for path, handler in novicezk_routes.SUBMITS.items()},
    **{f"webman{path}": handler for path, handler in webman_routes.SUBMITS.items()},
}


@pytest.mark.parametrize("path", sorted(SUBMITS))
def test_every_submit_route_says_what_its_body_holds(path: str) -> None:
    doc = SUBMITS[path].__doc__
    assert doc and doc.strip(), f"{path}: its parser has no docstring"


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        (0, LIMITS.body_bytes),
        (1, LIMITS.body_with_images(1)),
        (BLEND_MAX_IMAGES, LIMITS.body_with_images(BLEND_MAX_IMAGES)),
        (lambda limits: limits.imagine_images, LIMITS.body_with_images(3)),
    ],
    ids=["none", "one", "blend", "from-the-limits"],
)
def test_a_body_has_room_for_the_images_its_route_takes(images, expected: int) -> None:
    assert _room(images, LIMITS) == expected
