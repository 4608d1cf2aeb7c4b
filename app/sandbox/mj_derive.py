"""Jobs that draw a new grid from a finished result: variations, zoom, pan, region edits."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from app.sandbox import images
from app.sandbox.bot_flags import Flags
from app.sandbox.interactions import Interaction
from app.sandbox.messages import Origin
from app.sandbox.mj_jobs import JobRunner
from app.sandbox.mj_state import Result
from app.sandbox.prompts import display_prompt, parse_prompt


def derived_grid(text: str, tag: str, make_tile: Callable[[int], Image.Image]) -> Image.Image:
    return images.compose_grid(
        [images.caption(make_tile(i), text, f"{tag} #{i + 1}") for i in range(4)]
    )


def base_image(result: Result) -> Image.Image:
    """The result's picture at tile size (singles are stored upscaled)."""
    return result.image.resize(result.tile) if result.kind == "single" else result.image


class Derive:
    def __init__(self, runner: JobRunner, seed: int) -> None:
        self.runner = runner
        self.seed = seed

    async def grid(
        self,
        it: Interaction,
        flags: Flags,
        result: Result,
        label: str,
        make_tile: Callable[[int], Image.Image],
        origin: Origin | None = None,
        prompt_text: str | None = None,
        tile: tuple[int, int] | None = None,
    ) -> None:
        """A four-tile job whose tiles `make_tile` draws from the result."""
        prompt = parse_prompt(prompt_text) if prompt_text is not None else result.prompt
        text = display_prompt(prompt)
        tag = label.replace(" by ", "").strip() or "Reroll"
        job = self.runner.new_job(
            it, origin or it.origin(), prompt, label, "grid",
            lambda: derived_grid(text, tag, make_tile), tile or result.tile, flags,
            echo_nonce=origin is None,
        )  # fmt: skip
        await self.runner.start(job)

    async def zoom(
        self,
        it: Interaction,
        flags: Flags,
        result: Result,
        label: str,
        factor: float,
        square: bool = False,
        prompt_text: str | None = None,
    ) -> None:
        base, seed = base_image(result), self.seed
        text = display_prompt(parse_prompt(prompt_text) if prompt_text else result.prompt)
        side = max(result.tile)
        size = (side, side) if square else result.tile
        salt = f"zoom/{factor}/{result.hash}"
        await self.grid(
            it, flags, result, label,
            lambda i: images.zoom_out(base, factor, text, seed, f"{salt}/{i}", size),
            prompt_text=prompt_text, tile=size,
        )  # fmt: skip
