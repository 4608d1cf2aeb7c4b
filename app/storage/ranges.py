"""HTTP byte ranges (RFC 9110 §14) for serving stored files (pure).

One range per request: `bytes=a-b`, `bytes=a-` or `bytes=-n`. A header asking for several ranges
is answered with the whole file (allowed: a server may ignore Range); a syntactically valid range
that starts past the end is unsatisfiable (416).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ONE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(ValueError):
    """The range lies outside the file."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to send, None for the whole file; Unsatisfiable when nothing of it exists."""
    if not header:
        return None
    found = _ONE.match(header.strip().replace(" ", ""))
    if found is None:
        return None  # several ranges, another unit, or garbage: send the whole file
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        count = int(last)
        if count == 0 or size == 0:
            raise Unsatisfiable(header)
        return ByteRange(max(0, size - count), size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if last and int(last) < start:
        return None  # invalid: ignore it
    if start >= size:
        raise Unsatisfiable(header)
    return ByteRange(start, end)


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match (weak comparison): `*` or any listed tag equal to ours."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in tags
