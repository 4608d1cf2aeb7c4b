"""Banned words: matched as whole words, case-insensitively (novicezk's effective rule).

A word or phrase matches when it is not glued to letters, digits or `_` on either side, so
`bra` matches "a red bra" and "BRA!" but not "brave" or "zebra".
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class BannedWords:
    def __init__(self, words: Iterable[str]) -> None:
        cleaned = sorted({w.strip() for w in words if w and w.strip()}, key=lambda w: (-len(w), w))
        self.words: tuple[str, ...] = tuple(cleaned)
        self._pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(w) for w in cleaned) + r")(?!\w)",
                re.IGNORECASE,
            )
            if cleaned
            else None
        )

    def find(self, text: str | None) -> str | None:
        """The first banned word in `text`, as it is written there; None when clean."""
        if not text or self._pattern is None:
            return None
        match = self._pattern.search(text)
        return match.group(1) if match else None

    def __bool__(self) -> bool:
        return bool(self.words)


def parse_word_list(text: str) -> list[str]:
    """One word or phrase per line; blank lines and `#` comments ignored."""
    words = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line)
    return words
