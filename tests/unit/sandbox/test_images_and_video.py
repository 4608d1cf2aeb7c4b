from __future__ import annotations

import asyncio
import io

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from app.sandbox import image_codec, images, video
from app.sandbox.mj_replies import describe_prompts, shorten_prompts
from app.sandbox.slots import QueueFull, Slots


def test_grid_is_deterministic_from_prompt_and_seed() -> None:
    first = images.render_grid("a red fox", 0, "imagine", (256, 170))
    again = images.render_grid("a red fox", 0, "imagine", (256, 170))
    other_seed = images.render_grid("a red fox", 1, "imagine", (256, 170))
    other_prompt = images.render_grid("a blue whale", 0, "imagine", (256, 170))
    assert image_codec.encode_png(first) == image_codec.encode_png(again)
    assert first.tobytes() != other_seed.tobytes()
    assert first.tobytes() != other_prompt.tobytes()
    assert first.size == (512, 340)


def test_four_tiles_differ_and_prompt_is_drawn() -> None:
    grid = images.render_grid("a red fox", 0, "imagine", (256, 256))
    tiles = [images.grid_tile(grid, i) for i in range(1, 5)]
    assert len({t.tobytes() for t in tiles}) == 4
    plain = images.render_scene("a red fox", 0, "imagine/0", (256, 256))
    # The caption band at the bottom changes the first tile only there.
    diff = ImageChops.difference(plain, tiles[0])
    top, bottom = diff.crop((0, 0, 256, 128)), diff.crop((0, 200, 256, 256))
    assert ImageStat.Stat(top).mean == [0.0, 0.0, 0.0]
    assert max(ImageStat.Stat(bottom).mean) > 10


@pytest.mark.parametrize(
    ("aspect", "size"), [((1, 1), (512, 512)), ((3, 2), (512, 342)), ((2, 3), (342, 512))]
)
def test_tile_size(aspect: tuple[int, int], size: tuple[int, int]) -> None:
    assert images.tile_size(aspect) == size


def test_derived_images_keep_sizes() -> None:
    base = images.render_scene("a fox", 0, "x", (200, 100))
    assert images.zoom_out(base, 2.0, "a fox", 0, "z").size == (200, 100)
    assert images.zoom_out(base, 1.0, "a fox", 0, "z", (200, 200)).size == (200, 200)
    panned = images.pan(base, "left", "a fox", 0, "p")
    assert panned.size == (200, 100)
    assert panned.crop((100, 0, 200, 100)).tobytes() == base.crop((0, 0, 100, 100)).tobytes()
    assert images.upscale(base, "a fox", "Image #1").size == (400, 200)
    preview = Image.open(io.BytesIO(image_codec.encode_jpeg(images.preview(base, 15))))
    assert preview.format == "JPEG" and preview.size == (100, 50)


def test_decode_rejects_garbage() -> None:
    assert image_codec.decode(b"not an image") is None


def test_video_is_playable_h264() -> None:
    data = video.render_video("a fox", 1, frames=6, size=(64, 48))
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
        assert container.streams.video[0].codec_context.name == "h264"
    assert len(frames) == 6 and (frames[0].width, frames[0].height) == (64, 48)


def test_describe_and_shorten_text() -> None:
    image = Image.new("RGB", (300, 200), (50, 90, 200))
    prompts = describe_prompts(image, "s")
    assert len(prompts) == 4 and all(p.endswith("--ar 3:2") and "blue" in p for p in prompts)
    assert describe_prompts(image, "s") == prompts
    shortened, analysis = shorten_prompts("a very detailed painting of a majestic fox")
    assert len(shortened) == 5
    assert [len(p.split()) for p in shortened] == sorted(
        (len(p.split()) for p in shortened), reverse=True
    )
    assert "~~a~~" in analysis


async def test_slots_queue_then_full() -> None:
    slots = Slots(concurrency=1, queue_size=1)
    assert slots.acquire() is None
    waiter = slots.acquire()
    assert waiter is not None and not waiter.done()
    with pytest.raises(QueueFull):
        slots.acquire()
    slots.release()  # hands the slot to the waiter
    await asyncio.wait_for(waiter, 1)
    assert slots.active == 1 and slots.queued == 0
    slots.release()
    assert slots.active == 0
    parked = [slots.acquire(), slots.acquire()]
    assert parked[0] is None and parked[1] is not None
    slots.forget(parked[1])
    assert slots.queued == 0
