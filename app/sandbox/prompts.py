"""Midjourney prompt parsing: image links, text, `--parameters`, sandbox fault flags. Pure."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

FAULT_FLAG = "sandbox-fault"

# Parameters the simulated bot accepts; anything else is "Invalid parameter" like the real bot.
KNOWN_PARAMS = {
    "ar", "aspect", "v", "version", "niji", "q", "quality", "s", "stylize", "c", "chaos",
    "seed", "sameseed", "no", "iw", "style", "tile", "weird", "w", "zoom", "fast", "relax",
    "turbo", "stop", "r", "repeat", "cw", "cref", "sref", "sw", "p", "personalize", "raw",
    "draft", "exp", "video", "public", "stealth", "motion", "end", "bs", "loop", FAULT_FLAG,
}  # fmt: skip
VALUELESS_PARAMS = {
    "tile", "fast", "relax", "turbo", "raw", "draft", "video", "public", "stealth", "loop",
}  # fmt: skip
BANNED_WORDS = {"gore", "blood", "nsfw", "nude", "sandbox-banned"}
_URL = re.compile(r"^<?(https?://\S+?)>?$")
_ASPECT = re.compile(r"^(\d{1,4}):(\d{1,4})$")


@dataclass(frozen=True)
class Prompt:
    raw: str
    image_urls: list[str] = field(default_factory=list)
    text: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)

    def param(self, *names: str) -> str | None:
        for name, value in self.params:
            if name in names:
                return value
        return None

    def has(self, *names: str) -> bool:
        return any(name in names for name, _ in self.params)

    @property
    def faults(self) -> list[tuple[str, str]]:
        """`--sandbox-fault NAME[:ARG]` flags as (name, arg) pairs."""
        found = []
        for name, value in self.params:
            if name == FAULT_FLAG and value:
                kind, _, arg = value.partition(":")
                found.append((kind.lower(), arg))
        return found


def parse_prompt(raw: str) -> Prompt:
    tokens = raw.split()
    urls: list[str] = []
    while tokens and _URL.match(tokens[0]):
        urls.append(_URL.match(tokens[0]).group(1))  # type: ignore[union-attr]
        tokens.pop(0)
    words: list[str] = []
    params: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.startswith("--") and len(token) > 2:
            name = token[2:].lower()
            values = []
            while index + 1 < len(tokens) and not tokens[index + 1].startswith("--"):
                if name in VALUELESS_PARAMS:
                    break
                index += 1
                values.append(tokens[index])
            params.append((name, " ".join(values)))
        elif not params:
            words.append(token)
        else:  # text after parameters belongs to the last one (`--no red cars`)
            name, value = params[-1]
            params[-1] = (name, f"{value} {token}".strip())
        index += 1
    return Prompt(raw=raw, image_urls=urls, text=" ".join(words), params=params)


def parameter_error(prompt: Prompt) -> str | None:
    """The bot's "Invalid parameter" description, or None when the parameters are fine."""
    unknown = [f"--{name}" for name, _ in prompt.params if name not in KNOWN_PARAMS]
    if unknown:
        return f"Unrecognized parameter(s): `{' '.join(unknown)}`"
    aspect = prompt.param("ar", "aspect")
    if aspect is not None and not _valid_aspect(aspect):
        return f"Invalid value for `--ar`: `{aspect}`. Use the form `--ar W:H`, e.g. `--ar 3:2`."
    zoom = prompt.param("zoom")
    if zoom is not None and not _in_range(zoom, 1.0, 2.0):
        return f"Invalid value for `--zoom`: `{zoom}` (must be between 1 and 2)."
    for name, low, high in (("s", 0, 1000), ("stylize", 0, 1000), ("c", 0, 100), ("chaos", 0, 100)):
        value = prompt.param(name)
        if value is not None and not _in_range(value, low, high):
            return f"Invalid value for `--{name}`: `{value}` (must be between {low} and {high})."
    return None


def _valid_aspect(value: str) -> bool:
    match = _ASPECT.match(value.strip())
    if not match:
        return False
    width, height = int(match.group(1)), int(match.group(2))
    return width > 0 and height > 0 and max(width, height) / min(width, height) <= 8


def _in_range(value: str, low: float, high: float) -> bool:
    try:
        return low <= float(value) <= high
    except ValueError:
        return False


def seed_of(prompt: Prompt, default: int) -> int:
    """`--seed N`, else `default` (the sandbox's seed)."""
    value = prompt.param("seed")
    return int(value) if value and value.isdigit() else default


def aspect_of(prompt: Prompt) -> tuple[int, int]:
    value = prompt.param("ar", "aspect")
    if value and _valid_aspect(value):
        width, height = value.split(":")
        return int(width), int(height)
    return 1, 1


def banned_word(prompt: Prompt) -> str | None:
    for word in re.findall(r"[\w-]+", prompt.text.lower()):
        if word in BANNED_WORDS:
            return word
    return None


def short_link(url: str) -> str:
    """Image links are echoed as `<https://s.mj.run/XXXX>` by the bot."""
    code = hashlib.sha256(url.encode()).hexdigest()[:11]
    return f"<https://s.mj.run/{code}>"


def display_prompt(prompt: Prompt) -> str:
    """The prompt as the bot writes it between `**`: links shortened, spacing normalised."""
    parts = [short_link(url) for url in prompt.image_urls]
    if prompt.text:
        parts.append(prompt.text)
    parts.extend(f"--{name} {value}".strip() for name, value in prompt.params)
    return " ".join(parts)


def filename_slug(username: str, prompt: Prompt, job_hash: str, extension: str = "png") -> str:
    """`<user>_<prompt words, truncated>_<uuid>.png` as the bot names its files."""
    words = re.sub(r"[^A-Za-z0-9 ]+", "", prompt.text).split()
    slug = "_".join(words)[:48].rstrip("_") or "image"
    return f"{username}_{slug}_{job_hash}.{extension}"
