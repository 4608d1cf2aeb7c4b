"""The bot's content formats (spec §3.2) split into prompt, label, percent, mode."""

from __future__ import annotations

import pytest

from app.discord.content import keycap_items, last_uuid, parse_content

U = "<@1100000000000000001>"

CASES = [
    pytest.param(
        f"**a cat** - {U} (Waiting to start)",
        {"prompt": "a cat", "waiting": True, "mode": None},
        id="start",
    ),
    pytest.param(
        f"**a cat** - {U} (31%) (fast)",
        {"prompt": "a cat", "percent": 31, "mode": "fast"},
        id="progress",
    ),
    pytest.param(
        f"**a cat** - Upscaling by {U} (62%) (relaxed)",
        {"percent": 62, "mode": "relaxed", "action_label": "Upscaling"},
        id="upscaler",
    ),
    pytest.param(
        f"**a cat** - {U} (fast)",
        {"prompt": "a cat", "mode": "fast", "percent": None},
        id="imagine-final",
    ),
    pytest.param(
        f"**a cat** - {U} [(Open on website for full quality)]"
        "(<https://midjourney.com/jobs/3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f>) (turbo)",
        {"prompt": "a cat", "mode": "turbo"},
        id="web-link",
    ),
    pytest.param(f"**a cat** - {U} (fast, stealth)", {"mode": "fast"}, id="stealth"),
    pytest.param(f"**a cat** - Image #3 {U}", {"image_index": 3, "mode": None}, id="image-3"),
    pytest.param(
        f"**a cat** - Variations (Strong) by {U} (fast)",
        {"action_label": "Variations (Strong)"},
        id="vary-strong",
    ),
    pytest.param(
        f"**a cat** - Pan Left by {U} (relax)",
        {"action_label": "Pan Left", "mode": "relaxed"},
        id="pan",
    ),
    pytest.param(
        f"**a **bold** cat** - {U} (Stopped)",
        {"prompt": "a **bold** cat", "stopped": True},
        id="greedy-stopped",
    ),
    pytest.param(
        f"**<https://s.mj.run/a> <https://s.mj.run/b> --ar 1:1** - {U} (relaxed)",
        {"prompt": "<https://s.mj.run/a> <https://s.mj.run/b> --ar 1:1"},
        id="blend",
    ),
    pytest.param(
        f"Prompt: a horse -motion 2 - Author: {U}",
        {"prompt": "a horse -motion 2", "user_id": "1100000000000000001"},
        id="pika",
    ),
    pytest.param("", {"prompt": None, "percent": None}, id="empty"),
]


@pytest.mark.parametrize(("content", "expected"), CASES)
def test_parse_content(content: str, expected: dict[str, object]) -> None:
    parsed = parse_content(content)
    assert {k: getattr(parsed, k) for k in expected} == expected


def test_last_uuid_and_keycaps() -> None:
    name = "u_a_11111111-2222-4333-8444-555555555555_3f8a2c1e-5B7D-4e9a-8c6f-1a2b3c4d5e6f.png"
    assert last_uuid(name) == "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"
    assert last_uuid("no id here") is None
    assert keycap_items("1️⃣ one\n\n2⃣ two\nplain\n3️⃣  three ") == ("one", "two", "three")
