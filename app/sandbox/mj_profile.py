"""An account's Midjourney preferences and GPU-time usage (what /settings, /prefer, /info show).

Pure: the bot changes these on clicks and commands and charges usage when a job finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Version select: (value, label); "default" appends nothing to prompts.
VERSIONS: tuple[tuple[str, str], ...] = (
    ("default", "Use the default model (V7)"),
    ("7", "Midjourney Model V7"),
    ("6.1", "Midjourney Model V6.1"),
    ("6", "Midjourney Model V6.0"),
    ("niji 6", "Niji Model V6"),
    ("5.2", "Midjourney Model V5.2"),
)
STYLIZE_LEVELS: tuple[tuple[int, str], ...] = (
    (50, "low"), (100, "med"), (250, "high"), (750, "very high"),
)  # fmt: skip
DEFAULT_STYLIZE = 100
PLAN = "Pro"
PLAN_FAST_HOURS = 30.0  # a Pro plan's monthly fast time
RENEWS_AT = 1_798_761_600  # 2027-01-01T00:00:00Z, fixed so /info is deterministic
# GPU minutes one finished job costs (sandbox choice, see docs/sandbox.md); turbo costs twice.
GRID_MINUTES = 1.0
UPSCALE_MINUTES = 2.0
VIDEO_MINUTES = 8.0  # a video job (any batch size); a clip's virtual upscale is free


@dataclass
class Usage:
    """Fast time left and lifetime/relaxed usage, in GPU minutes and images."""

    fast_total_minutes: float = PLAN_FAST_HOURS * 60
    fast_left_minutes: float = PLAN_FAST_HOURS * 60
    lifetime_images: int = 0
    lifetime_minutes: float = 0.0
    relaxed_images: int = 0
    relaxed_minutes: float = 0.0

    @property
    def fast_exhausted(self) -> bool:
        return self.fast_left_minutes <= 0

    def charge(self, mode: str, images: int, minutes: float) -> None:
        """A finished job: relaxed ones are free, turbo costs double fast time."""
        self.lifetime_images += images
        self.lifetime_minutes += minutes
        if mode == "relaxed":
            self.relaxed_images += images
            self.relaxed_minutes += minutes
            return
        cost = minutes * (2 if mode == "turbo" else 1)
        self.fast_left_minutes = max(0.0, self.fast_left_minutes - cost)

    def set_fast_left(self, minutes: float) -> None:
        self.fast_left_minutes = max(0.0, min(float(minutes), self.fast_total_minutes))


@dataclass
class Profile:
    """The /settings panel's state and /prefer's suffix and custom options."""

    version: str = "default"
    stylize: int = DEFAULT_STYLIZE
    raw: bool = False
    public: bool = True
    high_variation: bool = True
    suffix: str = ""
    options: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)

    def reset(self) -> None:
        """ "Reset Settings": model choices back to defaults (visibility, suffix, usage stay)."""
        self.version, self.stylize, self.raw = "default", DEFAULT_STYLIZE, False
        self.high_variation = True

    def settings_suffix(self) -> str:
        """Parameters the panel's choices add to every prompt (none at the defaults)."""
        parts = []
        if self.version.startswith("niji "):
            parts.append(f"--niji {self.version.split()[1]}")
        elif self.version != "default":
            parts.append(f"--v {self.version}")
        if self.raw:
            parts.append("--style raw")
        if self.stylize != DEFAULT_STYLIZE:
            parts.append(f"--s {self.stylize}")
        return " ".join(parts)

    def current_suffix(self) -> str:
        return " ".join(part for part in (self.settings_suffix(), self.suffix) if part)

    def apply_to(self, text: str) -> str:
        """The prompt the bot runs: custom `--option`s expanded, then the suffixes added.

        A parameter the prompt already sets is not added again (`--v 6` beats a `--v 7` suffix).
        """
        words = [self._expand(word) for word in text.split()]
        prompt = " ".join(word for word in words if word)
        present = {word[2:].lower() for word in prompt.split() if word.startswith("--")}
        versions = {"v", "version", "niji"}
        extra = []
        for chunk in _param_chunks(self.current_suffix()):
            name = chunk.split()[0][2:].lower() if chunk.startswith("--") else ""
            taken = present & versions if name in versions else present & {name}
            if not taken:
                extra.append(chunk)
        return " ".join([prompt, *extra]).strip()

    def _expand(self, word: str) -> str:
        if word.startswith("--") and word[2:].lower() in self.options:
            return self.options[word[2:].lower()]
        return word


def _param_chunks(text: str) -> list[str]:
    """`--v 7 --style raw foo` -> ["--v 7", "--style raw foo"]; leading text is its own chunk."""
    chunks: list[str] = []
    for word in text.split():
        if word.startswith("--") or not chunks:
            chunks.append(word)
        else:
            chunks[-1] = f"{chunks[-1]} {word}"
    return chunks
