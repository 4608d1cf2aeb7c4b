from __future__ import annotations

import pytest

from app.sandbox.components import (
    custom_ids,
    describe_components,
    grid_components,
    parse_custom_id,
    progress_components,
    shorten_components,
    upscale_components,
)
from app.sandbox.faults import FaultError, Faults, flag_to_fault
from app.sandbox.prompts import (
    aspect_of,
    banned_word,
    display_prompt,
    filename_slug,
    parameter_error,
    parse_prompt,
)

HASH = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"


def test_parse_prompt_links_text_params_and_faults() -> None:
    prompt = parse_prompt(
        "https://x/a.png <https://x/b.png> a red fox --ar 3:2 --no red cars --tile "
        "--sandbox-fault delay:2 --sandbox-fault drop_final"
    )
    assert prompt.image_urls == ["https://x/a.png", "https://x/b.png"]
    assert prompt.text == "a red fox"
    assert prompt.param("ar") == "3:2" and prompt.param("no") == "red cars"
    assert prompt.has("tile") and prompt.param("tile") == ""
    assert prompt.faults == [("delay", "2"), ("drop_final", "")]
    assert aspect_of(prompt) == (3, 2)
    shown = display_prompt(prompt)
    assert shown.startswith("<https://s.mj.run/") and "a red fox --ar 3:2" in shown


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a fox --v 6.1 --ar 16:9 --stylize 250", None),
        ("a fox --bogus", "Unrecognized parameter(s): `--bogus`"),
        ("a fox --ar 0:1", "Invalid value for `--ar`"),
        ("a fox --ar 20:1", "Invalid value for `--ar`"),
        ("a fox --zoom 2.5", "Invalid value for `--zoom`"),
        ("a fox --s x", "Invalid value for `--s`"),
    ],
)
def test_parameter_errors(text: str, problem: str | None) -> None:
    error = parameter_error(parse_prompt(text))
    assert (error is None) if problem is None else error.startswith(problem)


def test_banned_words_and_filenames() -> None:
    assert banned_word(parse_prompt("a Gore scene")) == "gore"
    assert banned_word(parse_prompt("a gorgeous scene")) is None
    name = filename_slug("testuser", parse_prompt("a red fox, in snow! --ar 3:2"), HASH)
    assert name == f"testuser_a_red_fox_in_snow_{HASH}.png"


def test_every_emitted_button_parses_back() -> None:
    rows = [*grid_components(HASH), *upscale_components(HASH, square=False),
            *progress_components(HASH), *describe_components(), *shorten_components(5)]  # fmt: skip
    for custom_id in custom_ids(rows):
        click = parse_custom_id(custom_id)
        assert click is not None, custom_id
        if HASH in custom_id:
            assert click.hash == HASH


@pytest.mark.parametrize(
    ("custom_id", "action", "index", "arg"),
    [
        (f"MJ::JOB::upsample::3::{HASH}", "upsample", 3, ""),
        (f"MJ::JOB::variation::2::{HASH}", "variation", 2, ""),
        (f"MJ::JOB::reroll::0::{HASH}::SOLO", "reroll", 0, ""),
        (f"MJ::JOB::upsample_v7_2x_creative::1::{HASH}::SOLO", "upscale", 0, "v7_2x_creative"),
        (f"MJ::JOB::high_variation::1::{HASH}::SOLO", "vary", 0, "high"),
        (f"MJ::Outpaint::75::1::{HASH}::SOLO", "outpaint", 0, "75"),
        (f"MJ::CustomZoom::1::{HASH}", "custom_zoom", 0, ""),
        (f"MJ::JOB::pan_down::1::{HASH}::SOLO", "pan", 0, "down"),
        (f"MJ::Inpaint::1::{HASH}::SOLO", "inpaint", 0, ""),
        ("MJ::Job::PicReader::all", "picreader", 0, "all"),
    ],
)
def test_parse_custom_id(custom_id: str, action: str, index: int, arg: str) -> None:
    click = parse_custom_id(custom_id)
    assert click is not None
    assert (click.action, click.index, click.arg) == (action, index, arg)


def test_unknown_custom_ids() -> None:
    assert parse_custom_id("MJ::JOB::upsample::9::x") is None
    assert parse_custom_id("something else") is None


def test_square_upscale_offers_no_make_square() -> None:
    assert not any("::100::" in c for c in custom_ids(upscale_components(HASH, square=True)))
    assert any("::100::" in c for c in custom_ids(upscale_components(HASH, square=False)))


def test_fault_flags_and_arming() -> None:
    assert flag_to_fault("429", "3") == ("rate_limit", {"count": 3})
    assert flag_to_fault("disconnect", "4009") == ("disconnect_mid_job", {"code": 4009})
    assert flag_to_fault("delay", "1.5") == ("delay", {"seconds": 1.5})
    assert flag_to_fault("error", "queue_full") == ("error", {"error": "queue_full"})
    with pytest.raises(FaultError):
        flag_to_fault("explode", "")
    with pytest.raises(FaultError):
        flag_to_fault("delay", "soon")
    faults = Faults()
    faults.arm("drop_final", "u1", count=2)
    faults.arm("delay", None, seconds=1)
    assert faults.take("drop_final", "u2") is None
    assert faults.take("drop_final", "u1") is not None
    assert faults.take("drop_final", "u1") is not None
    assert faults.take("drop_final", "u1") is None
    assert faults.take("delay", "anyone").params == {"seconds": 1}
    with pytest.raises(FaultError):
        faults.arm("error", None, error="nope")
