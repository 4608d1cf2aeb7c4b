"""Job pictures: drawn and encoded once, deterministic, distinct; a cache that stays bounded."""

from __future__ import annotations

import io

from PIL import Image

from app.sandbox import image_codec, images
from app.sandbox.render_cache import RenderCache, Rendered, prepare
from app.sandbox.speed import get_speed

TILE = images.tile_size((3, 2), get_speed("instant").tile_long_side)
STEPS = (15, 46, 78)


def imagine(prompt: str, seed: int = 0) -> Rendered:
    return prepare(lambda: images.render_grid(prompt, seed, f"imagine/{prompt}", TILE), STEPS)


def test_prepare_is_deterministic_per_prompt_and_seed() -> None:
    first, again = imagine("a red fox"), imagine("a red fox")
    assert first.png == again.png and first.previews == again.previews
    assert sorted(first.previews) == list(STEPS)


def test_distinct_prompts_and_seeds_give_distinct_bytes() -> None:
    pictures = [imagine(f"a red fox {n}") for n in range(20)]
    pictures += [imagine("a red fox", seed) for seed in range(1, 21)]
    assert len({p.png for p in pictures}) == len(pictures)
    assert len({p.previews[15] for p in pictures}) == len(pictures)


def test_the_png_and_previews_decode_to_the_picture() -> None:
    rendered = imagine("a lighthouse at dusk")
    decoded = Image.open(io.BytesIO(rendered.png))
    assert decoded.format == "PNG" and decoded.tobytes() == rendered.image.tobytes()
    half = (rendered.image.width // 2, rendered.image.height // 2)
    for jpeg in rendered.previews.values():
        preview = Image.open(io.BytesIO(jpeg))
        assert preview.format == "JPEG" and preview.size == half
    # earlier steps are coarser: fewer distinct colours than the last one
    colours = [len(Image.open(io.BytesIO(rendered.previews[p])).getcolors(1 << 16) or ())
               for p in STEPS]  # fmt: skip
    assert colours[0] < colours[-1]


def test_odd_sized_pictures_still_encode() -> None:
    image = images.render_scene("a fox", 0, "odd", (37, 21))
    assert Image.open(io.BytesIO(image_codec.encode_png(image))).tobytes() == image.tobytes()
    assert images.preview(image, 15).size == (18, 10)
    rgba = Image.new("RGBA", (5, 5), (1, 2, 3, 4))  # not RGB: through Pillow
    assert Image.open(io.BytesIO(image_codec.encode_png(rgba))).tobytes() == rgba.tobytes()


def test_cache_hits_return_what_was_put() -> None:
    cache = RenderCache()
    rendered = imagine("a red fox")
    assert cache.get(("imagine", "a red fox")) is None
    cache.put(("imagine", "a red fox"), rendered)
    assert cache.get(("imagine", "a red fox")) is rendered
    assert cache.get(("imagine", "a red fox", 1)) is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_cache_stays_within_its_byte_bound_dropping_the_least_recently_used() -> None:
    pictures = [imagine(f"prompt {n}") for n in range(12)]
    size = max(p.nbytes for p in pictures)
    cache = RenderCache(max_bytes=size * 4)
    for n, rendered in enumerate(pictures):
        cache.put(n, rendered)
        cache.get(0)  # keep the first one in use: it must survive every eviction
        assert cache.held_bytes <= cache.max_bytes
        assert cache.held_bytes == sum(r.nbytes for r in cache._items.values())  # no drift
    assert 3 <= len(cache) <= 4
    assert cache.get(0) is pictures[0] and cache.get(11) is pictures[11]
    assert cache.get(1) is None  # evicted: least recently used


def test_cache_refuses_an_item_larger_than_itself() -> None:
    rendered = imagine("a red fox")
    cache = RenderCache(max_bytes=rendered.nbytes - 1)
    cache.put("big", rendered)
    assert len(cache) == 0 and cache.held_bytes == 0
