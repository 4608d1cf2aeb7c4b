"""docs/architecture.md stays a short walk and names every import rule the tree is held to."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text("utf-8")
MAX_WALK_FILES = 12


def _section(title: str) -> str:
    return PAGE.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_the_walk_of_one_task_opens_at_most_twelve_files() -> None:
    rows = _section("One task, from HTTP to callback").splitlines()
    steps = [row.split("|")[2].strip() for row in rows if re.match(r"\| \d+ \|", row)]
    files = [step.strip("`") for step in steps]
    assert len(steps) >= 10, "the walk goes from the route to the callback sender"
    assert len(set(files)) <= MAX_WALK_FILES, files
    assert all((ROOT / f).is_file() for f in files), files


def test_every_import_rule_is_explained() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = [c["id"] for c in config["tool"]["importlinter"]["contracts"]]
    rules = _section("Packages and what each may import")
    explained = re.findall(r"^\| `([\w-]+)` \|", rules, re.M)
    assert sorted(explained) == sorted(contracts)
