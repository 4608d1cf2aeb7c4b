"""The banned-word source of the API (app/api/checks.py): the setting plus a file, reread when it
changes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.api.checks import BannedWordSource


def test_banned_words_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "banned.txt"
    source = BannedWordSource(("nude",), path)
    assert source.current().find("a nude bra") == "nude"  # file missing: setting only
    path.write_text("bra\n# comment\n", encoding="utf-8")
    assert source.current().find("a red bra") == "bra"
    path.write_text("hat\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))
    assert source.current().find("a red bra") is None
    assert source.current().find("a red HAT") == "HAT"
