"""A job's picture drawn and encoded once, and a bounded LRU of them by what they were drawn from.

`prepare` draws the picture and encodes everything a job posts of it (the final PNG, one JPEG per
progress step), so the CDN serves bytes made once. `RenderCache` keeps recent ones by a key naming
everything the picture depends on (e.g. `("imagine", prompt, seed, tile)`), so the same prompt and
seed again costs nothing: pictures stay deterministic per prompt and seed, and the key leaves out
nothing that changes them. Memory is bounded by the bytes held (pixels plus encodings), not by
entries; the least recently used go first. Pure: no I/O, no event loop.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from PIL import Image

from app.sandbox import image_codec, images

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # ~1,100 `instant` grids or ~30 full-size ones


@dataclass(frozen=True)
class Rendered:
    image: Image.Image  # shared: never drawn on after this (derived jobs copy or crop it)
    png: bytes
    previews: dict[int, bytes] = field(default_factory=dict)  # progress percent -> JPEG

    @property
    def nbytes(self) -> int:
        pixels = self.image.width * self.image.height * len(self.image.getbands())
        return pixels + len(self.png) + sum(len(jpeg) for jpeg in self.previews.values())


def prepare(render: Callable[[], Image.Image], percents: Iterable[int] = ()) -> Rendered:
    """Draw, then encode the final PNG and the progress JPEGs for `percents`."""
    image = render()
    previews = {p: image_codec.encode_jpeg(images.preview(image, p)) for p in percents}
    return Rendered(image, image_codec.encode_png(image), previews)


class Sized(Protocol):
    @property
    def nbytes(self) -> int: ...


T = TypeVar("T", bound=Sized)


class RenderCache(Generic[T]):
    """Pictures (`Rendered`), or anything else that knows its size (video media)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, T] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> T | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Hashable, rendered: T) -> None:
        """Keep `rendered`, evicting the least recently used beyond the bound."""
        size = rendered.nbytes
        if size > self.max_bytes:
            return  # larger than the whole cache: not worth evicting everything for
        old = self._items.pop(key, None)
        if old is not None:
            self.held_bytes -= old.nbytes
        self._items[key] = rendered
        self.held_bytes += size
        while self.held_bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.held_bytes -= evicted.nbytes
