"""Banned words: matched as whole words, case-insensitively (novicezk's effective rule).

A word or phrase matches when it is not glued to letters, digits or `_` on either side, so
`bra` matches "a red bra" and "BRA!" but not "brave" or "zebra".

One Aho-Corasick automaton (pyahocorasick, in C) holds every word, so a check is one pass over
the text whatever the number of words (a regex alternation tries every word at every word
start: thousands of words made a long prompt block the event loop for seconds).
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick


def _fold(text: str) -> str:
    """Lower case, one character for one (so positions in the folded text are positions in the
    text): a character whose lower case is longer (`İ`) is kept as it is."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


class BannedWords:
    def __init__(self, words: Iterable[str]) -> None:
        cleaned = sorted({w.strip() for w in words if w and w.strip()}, key=lambda w: (-len(w), w))
        self.words: tuple[str, ...] = tuple(cleaned)
        self._longest = len(cleaned[0]) if cleaned else 0
        self._automaton = ahocorasick.Automaton()
        for word in cleaned:
            folded = _fold(word)
            if folded not in self._automaton:  # "Cat" and "cat" are one entry
                self._automaton.add_word(folded, len(folded))
        if cleaned:
            self._automaton.make_automaton()

    def find(self, text: str | None) -> str | None:
        """The first banned word in `text` (leftmost, longest there), as it is written in
        `text`; None when clean."""
        if not text or not self.words:
            return None
        best: tuple[int, int] | None = None  # (start, -length)
        for end, length in self._automaton.iter(_fold(text)):
            start = end - length + 1
            if best is not None and end - self._longest + 1 > best[0]:
                break  # every match from here on starts after the one found
            if start > 0 and _is_word_char(text[start - 1]):
                continue
            if end + 1 < len(text) and _is_word_char(text[end + 1]):
                continue
            if best is None or (start, -length) < best:
                best = (start, -length)
        if best is None:
            return None
        start, length = best[0], -best[1]
        return text[start : start + length]

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
