"""Pillow image synthesis: deterministic pictures from prompt + seed, with the prompt drawn on.

Pure functions (bytes/Images in, Images/bytes out). Grids are 2x2 tiles; follow-up actions derive
from the parent tile so a person looking at the results can follow what happened.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
from functools import lru_cache

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps, ImageStat

TILE_LONG_SIDE = 512
Size = tuple[int, int]


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def tile_size(aspect: tuple[int, int], long_side: int = TILE_LONG_SIDE) -> Size:
    """Tile size for an aspect ratio: long side fixed, both sides even (for video encoders)."""
    width, height = aspect
    if width >= height:
        return long_side, max(2, round(long_side * height / width / 2) * 2)
    return max(2, round(long_side * width / height / 2) * 2), long_side


def _palette(prompt: str, rng: random.Random) -> list[tuple[int, int, int]]:
    # Hues come from the prompt's words, so one prompt keeps its colours across tiles and actions.
    words = [w for w in prompt.lower().split() if not w.startswith("-")] or ["empty"]
    colours = []
    for word in words[:6]:
        hue = int(hashlib.md5(word.encode()).hexdigest()[:4], 16) / 0xFFFF
        hue = (hue + rng.uniform(-0.04, 0.04)) % 1.0
        red, green, blue = colorsys.hsv_to_rgb(
            hue, rng.uniform(0.45, 0.85), rng.uniform(0.55, 0.95)
        )
        colours.append((int(red * 255), int(green * 255), int(blue * 255)))
    return colours


def render_scene(
    prompt: str,
    seed: int,
    salt: str,
    size: Size,
    base: Image.Image | None = None,
    base_weight: float = 0.6,
) -> Image.Image:
    """One deterministic picture: gradient sky, soft shapes, optionally blended over `base`."""
    rng = _rng(prompt, seed, salt)
    colours = _palette(prompt, rng)
    top, bottom = rng.choice(colours), rng.choice(colours)
    image = Image.new("RGB", size, top)
    image.paste(bottom, (0, 0, *size), _gradient(size))  # top colour fading into the bottom one
    # Translucent fills blend straight onto the picture (no overlay layer to composite).
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = size
    for _ in range(rng.randint(5, 9)):
        colour = (*rng.choice(colours), rng.randint(90, 200))
        x, y = rng.uniform(-0.1, 1.0) * width, rng.uniform(-0.1, 1.0) * height
        w, h = rng.uniform(0.1, 0.5) * width, rng.uniform(0.1, 0.5) * height
        if rng.random() < 0.6:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            points = [(x + rng.uniform(0, w), y + rng.uniform(0, h)) for _ in range(3)]
            draw.polygon(points, fill=colour)
    if base is not None:
        base = base.convert("RGB").resize(size, Image.Resampling.BILINEAR)
        image = Image.blend(base, image, 1.0 - base_weight)
    return image


@lru_cache(maxsize=8)
def _gradient(size: Size) -> Image.Image:
    """Top-to-bottom ramp, 0 at the top; shared by every scene of this size (never mutated)."""
    return Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)


def caption(
    image: Image.Image, text: str, tag: str = "", min_band: int = 0, alpha: int = 150
) -> Image.Image:
    """Draw the prompt (and a tag like `#2` or `Zoom Out`) on a band at the bottom.

    The band keeps to about 40% of the picture: at the small sizes `instant` draws, fewer lines
    of the prompt, and no tag when even that leaves no room.
    """
    image = image.copy()
    width, height = image.size
    font_size = max(8, width // 28)
    step = font_size + 4
    room = max(1, (int(height * 0.4) - 10) // step)
    if room < 2:
        tag = ""
    shown = min(3, room - (1 if tag else 0))
    lines = _wrap(text[:_CAPTION_CHARS], font_size, width - 16, shown)
    band_height = max(min_band, (len(lines) + (1 if tag else 0)) * step + 10)
    top = height - band_height
    band = _band(lines, width, band_height, font_size, alpha, 5 + (step if tag else 0))
    image.paste(band, (0, top), band)
    if tag:
        label = _tag(tag, font_size)
        image.paste(label, (8, top + 5), label)
    return image


@lru_cache(maxsize=64)
def _tag(tag: str, font_size: int) -> Image.Image:
    """A tag (`#1` … `#4`, `Zoom Out`) drawn once on a transparent label; shared, never drawn on."""
    font = _font(font_size)
    _, _, right, bottom = font.getbbox(tag)
    label = Image.new("RGBA", (max(1, int(right)), max(1, int(bottom))), (255, 220, 120, 0))
    ImageDraw.Draw(label).text((0, 0), tag, font=font, fill=(255, 220, 120, 255))
    return label


@lru_cache(maxsize=8)
def _band(
    lines: tuple[str, ...], width: int, height: int, font_size: int, alpha: int, first: int
) -> Image.Image:
    """The translucent caption band with the prompt's lines, drawn once for a grid's four tiles.

    Shared between callers: only ever pasted from, never drawn on after this.
    """
    band = Image.new("RGBA", (width, height), (0, 0, 0, alpha))
    draw = ImageDraw.Draw(band)
    for index, line in enumerate(lines):
        draw.text((8, first + index * (font_size + 4)), line, font=_font(font_size), fill="white")
    return band


_CAPTION_CHARS = 400  # more than three lines ever show; a huge prompt is not measured whole


@lru_cache(maxsize=64)
def _wrap(text: str, font_size: int, max_width: int, max_lines: int) -> tuple[str, ...]:
    """The first `max_lines` lines of `text`, each at most `max_width` pixels wide.

    Cached: a grid captions its four tiles with the same prompt.
    """
    font = _font(font_size)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > max_width:
            lines.append(current)
            if len(lines) == max_lines:
                return tuple(lines)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return tuple(lines[:max_lines]) or ("",)


def compose_grid(tiles: list[Image.Image]) -> Image.Image:
    width, height = tiles[0].size
    grid = Image.new("RGB", (width * 2, height * 2))
    for index, tile in enumerate(tiles):
        grid.paste(tile, ((index % 2) * width, (index // 2) * height))
    return grid


def grid_tile(grid: Image.Image, index: int) -> Image.Image:
    """Tile 1..4 of a 2x2 grid (row-major, as U1..U4 number them)."""
    width, height = grid.width // 2, grid.height // 2
    left, top = ((index - 1) % 2) * width, ((index - 1) // 2) * height
    return grid.crop((left, top, left + width, top + height))


def render_grid(
    prompt: str,
    seed: int,
    salt: str,
    size: Size,
    bases: list[Image.Image | None] | None = None,
    tag: str = "",
    base_weight: float = 0.6,
    style: str = "",
) -> Image.Image:
    """Four captioned scenes; `style` "niji" draws them as niji・journey's (see `stylize`)."""
    bases = bases or [None] * 4
    tiles = []
    for i in range(4):
        scene = render_scene(
            prompt, seed, f"{style}{salt}/{i}", size, bases[i % len(bases)], base_weight
        )
        tiles.append(caption(stylize(scene, style), prompt, f"{tag} #{i + 1}".strip()))
    return compose_grid(tiles)


def stylize(image: Image.Image, style: str) -> Image.Image:
    """niji・journey's look: flat poster colours, saturated (visibly not Midjourney's)."""
    if style != "niji":
        return image
    return ImageEnhance.Color(ImageOps.posterize(image, 2)).enhance(1.8)


def upscale(tile: Image.Image, prompt: str, tag: str) -> Image.Image:
    big = tile.resize((tile.width * 2, tile.height * 2), Image.Resampling.LANCZOS)
    # An opaque, tall band hides the tile's own caption, enlarged underneath.
    return caption(big, prompt, tag, min_band=int(big.height * 0.2), alpha=240)


def zoom_out(
    image: Image.Image, factor: float, prompt: str, seed: int, salt: str, size: Size | None = None
) -> Image.Image:
    """`image` shrunk by `factor` amid a newly painted canvas (Zoom Out, Make Square)."""
    size = size or image.size
    canvas = render_scene(prompt, seed, salt, size)
    inner = (max(2, int(image.width / factor)), max(2, int(image.height / factor)))
    if size != image.size:  # make square: keep the whole picture, fill the sides
        scale = min(size[0] / image.width, size[1] / image.height)
        inner = (int(image.width * scale), int(image.height * scale))
    small = image.resize(inner, Image.Resampling.BILINEAR)
    canvas.paste(small, ((size[0] - inner[0]) // 2, (size[1] - inner[1]) // 2))
    return canvas


PAN_OFFSETS = {"left": (1, 0), "right": (-1, 0), "up": (0, 1), "down": (0, -1)}


def pan(image: Image.Image, direction: str, prompt: str, seed: int, salt: str) -> Image.Image:
    """Shift the picture half a frame away from `direction` and paint the uncovered side."""
    dx, dy = PAN_OFFSETS[direction]
    canvas = render_scene(prompt, seed, salt, image.size)
    canvas.paste(image, (dx * image.width // 2, dy * image.height // 2))
    return canvas


def preview(image: Image.Image, percent: int) -> Image.Image:
    """A half-size progress image, coarser the earlier (shrunk further, then enlarged).

    Shrinking is cheap whatever the coarseness, unlike a Gaussian blur, whose cost grows with its
    radius: a progress image is made for every step of every job.
    """
    size = (max(2, image.width // 2), max(2, image.height // 2))
    factor = 2 * min(max(1, (100 - percent) // 10), size[0] // 2, size[1] // 2)
    if image.width % factor or image.height % factor:
        coarse = image.resize((image.width // factor, image.height // factor), Image.Resampling.BOX)
    else:
        coarse = image.reduce(factor)  # the cheapest shrink, for even sizes
    return coarse if coarse.size == size else coarse.resize(size, Image.Resampling.NEAREST)


COLOUR_NAMES = {
    "red": (200, 40, 40), "orange": (230, 130, 30), "yellow": (230, 210, 60),
    "green": (60, 160, 70), "teal": (40, 150, 150), "blue": (50, 90, 200),
    "purple": (130, 60, 170), "pink": (230, 120, 170), "brown": (120, 80, 50),
    "white": (235, 235, 235), "grey": (128, 128, 128), "black": (20, 20, 20),
}  # fmt: skip


def dominant_colours(image: Image.Image, count: int = 2) -> list[str]:
    """Names of the colours nearest to the image's quadrant means (for describe)."""
    names: list[str] = []
    for index in range(1, 5):
        mean = ImageStat.Stat(grid_tile(image, index)).mean[:3]
        name = min(
            COLOUR_NAMES,
            key=lambda n: sum((a - b) ** 2 for a, b in zip(COLOUR_NAMES[n], mean, strict=True)),
        )
        if name not in names:
            names.append(name)
    return names[:count]
