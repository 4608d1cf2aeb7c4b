"""The user-facing pages hold up: they cite only files of this repository, and their shell
examples work when pasted (a variable inside single quotes is never expanded)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import config
from app.config.loading import SOURCES

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "tests" / "fixtures").glob("*/README.md")),
]
IDS = [str(p.relative_to(ROOT)) for p in PAGES]
# `app/…`, `db/…`, `tests/…` and the like, as pages name files in backticks.
REPO_PATH = re.compile(r"`((?:app|db|tests|docs|bench|alembic)/[^`\s*…{}<>|:]+)`")
OUTSIDE = re.compile(r"\bshared/|\.\./[\w-]+\.md|spec §|\(spec\b")
SHELL_BLOCK = re.compile(r"```(?:sh|bash|shell|console)\n(.*?)```", re.S)
VARIABLE = re.compile(r"\$\{?[A-Za-z_]")


def single_quoted_variables(script: str) -> list[str]:
    """The single-quoted strings of a shell script that hold a `$VAR` (never expanded there)."""
    found, state, start, i = [], "", 0, 0
    while i < len(script):
        char = script[i]
        if not state and char == "#" and (i == 0 or script[i - 1] in " \t\n"):
            i = script.find("\n", i) % (len(script) + 1)  # a comment: to the end of the line
            continue
        if state != "'" and char == "\\":
            i += 2
            continue
        if not state and char in "'\"":
            state, start = char, i
        elif state == char:
            if char == "'" and VARIABLE.search(script[start:i]):
                found.append(script[start : i + 1])
            state = ""
        i += 1
    return found


def test_the_quote_check_knows_shell_quoting() -> None:
    assert single_quoted_variables("curl -H 'Bearer $SECRET' x") == ["'Bearer $SECRET'"]
    assert single_quoted_variables("curl -H \"Bearer $SECRET\" 'http://h/?a=1'") == []
    assert single_quoted_variables("""-d '{"id":"'$ID'"}' # it's fine""") == []


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_pages_cite_only_files_in_the_repository(page: Path) -> None:
    text = page.read_text("utf-8")
    assert OUTSIDE.findall(text) == [], "cites a file that is not in this repository"
    missing = [p for p in REPO_PATH.findall(text) if not (ROOT / p.rstrip(".,")).exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_shell_examples_do_not_single_quote_variables(page: Path) -> None:
    blocks = SHELL_BLOCK.findall(page.read_text("utf-8"))
    assert [q for block in blocks for q in single_quoted_variables(block)] == []


SECURITY = ROOT / "docs" / "security.md"
SETTING = re.compile(r"\bMJRELAY_[A-Z0-9_]+\b")
TABLE_ROW = re.compile(r"^\|(.+)\|$", re.M)


def _variables() -> dict[str, str]:
    """Environment variable -> Settings field, as app/config/loading.py reads them."""
    return {source.variable: name for name, source in SOURCES.items()}


def test_security_page_names_only_real_settings() -> None:
    """docs/security.md cannot drift from the code: each setting it names is one app/config
    reads (MJRELAY_CONFIG is the settings file itself)."""
    named = set(SETTING.findall(SECURITY.read_text("utf-8")))
    assert named, "the page names its settings"
    assert named - set(_variables()) - {"MJRELAY_CONFIG"} == set()


def test_security_limits_table_states_each_settings_real_default() -> None:
    """A row of the limits table that names one setting states that setting's default as the
    code has it (6000 -> "6,000", 10.0 -> "10")."""
    variables, defaults = _variables(), config.Settings()
    checked = 0
    for row in TABLE_ROW.findall(SECURITY.read_text("utf-8")):
        cells = [cell.strip() for cell in row.split("|")]
        if len(cells) != 3:
            continue
        named = SETTING.findall(cells[2])
        if len(named) != 1 or cells[2] != f"`{named[0]}`":
            continue
        value = getattr(defaults, variables[named[0]])
        assert isinstance(value, int | float), named[0]
        number = f"{value:,}" if isinstance(value, int) else f"{value:,g}"
        assert re.search(rf"(?<![\d,.]){re.escape(number)}(?![\d,])", cells[1]), (row, number)
        checked += 1
    assert checked >= 8  # the table's settings rows were found
