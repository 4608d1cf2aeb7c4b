"""How long the simulated bots take: `instant` for tests, `fast` for `mjrelay up`, `realistic`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Speed:
    name: str
    start_delay: float  # interaction -> "(Waiting to start)"
    first_progress_delay: float  # "(Waiting to start)" -> first percentage
    step_delay: float  # between progress updates and before the final message
    progress_steps: tuple[int, ...]
    quick_delay: float  # U1-U4 crops, describe, shorten, Pika steps scale from this
    relax_factor: float  # relax mode is this much slower
    # Long side of a grid tile in pixels. `instant` draws small: its pictures are for tests
    # and benchmarks, where drawing full-size ones would cost more than the rest of a job.
    tile_long_side: int = 512
    video_frames: int = 16  # frames of a new video clip (8 fps); an extend adds two thirds

    async def pause(self, seconds: float, relaxed: bool = False) -> None:
        delay = seconds * (self.relax_factor if relaxed else 1.0)
        # sleep(0) still yields, so instant mode interleaves jobs like the real bot.
        await asyncio.sleep(delay if delay > 0 else 0)


SPEEDS: dict[str, Speed] = {
    "instant": Speed(
        "instant", 0.0, 0.0, 0.0, (15, 46, 78), 0.0, 1.0, tile_long_side=80, video_frames=6
    ),
    "fast": Speed("fast", 0.2, 0.3, 0.45, (15, 46, 78), 0.3, 2.0),
    "realistic": Speed("realistic", 2.5, 4.0, 9.0, (0, 15, 31, 46, 62, 78, 93), 4.0, 2.5),
}


def get_speed(name: str) -> Speed:
    try:
        return SPEEDS[name]
    except KeyError:
        raise ValueError(f"unknown speed {name!r}; choose one of {', '.join(SPEEDS)}") from None
