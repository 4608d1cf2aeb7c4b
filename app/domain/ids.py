"""Task ids: numeric strings whose length tells the family of the dialect that made them.

novicezk clients (Dooy) turn ids into JavaScript numbers, exact only up to 2^53 ≈ 9.0e15, so
novicezk-family tasks get 16 digits (13-digit ms clock + 3 random). webman requires 19
consecutive digits and Discordxy's examples have 19, so theirs get 19 (13-digit ms + 6 random).
"""

from __future__ import annotations

import secrets

ID_LENGTH = {"novicezk": 16, "webman": 19, "discordxy": 19}


def new_task_id(dialect: str, now_ms: int, randbelow: object = None) -> str:
    """A fresh id for a task submitted through `dialect`, made from `now_ms` and random digits."""
    length = ID_LENGTH.get(dialect, 19)
    clock = f"{now_ms:013d}"[-13:]
    extra = length - len(clock)
    draw = randbelow if callable(randbelow) else secrets.randbelow
    return clock + f"{draw(10**extra):0{extra}d}"
