"""A clone holds everything it runs: no code, test or script reads the spec folder beside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures import API_FIXTURES, DISCORD_FIXTURES

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = (".py", ".sh", ".toml", ".ini", ".cfg", ".mk")


def _runnable_files() -> list[Path]:
    found = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in RUNNABLE]
    found += [ROOT / "Makefile", ROOT / ".ci" / "run", ROOT / "Procfile"]
    skip = (".venv", ".git", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache")
    return [p for p in found if p.exists() and not any(part in skip for part in p.parts)]


# The spec folder's name, in two parts so that this file does not name it (and match) itself.
SPEC_FOLDER = "sha" + "red"
MARKERS = (f"{SPEC_FOLDER}/spec", f'"{SPEC_FOLDER}"', f"../{SPEC_FOLDER}")


def test_no_runnable_file_reads_the_spec_folder_beside_the_clone() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _runnable_files()
        if any(marker in p.read_text("utf-8", "replace") for marker in MARKERS)
    ]
    assert offenders == []


@pytest.mark.parametrize("folder", [API_FIXTURES, DISCORD_FIXTURES], ids=["api", "discord"])
def test_fixtures_are_in_the_repository(folder: Path) -> None:
    assert folder.is_relative_to(ROOT)
    assert len(list(folder.glob("*.json"))) >= 10


def test_ci_runs_the_suite_from_a_copy_with_nothing_beside_it() -> None:
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "mktemp -d" in script
    assert script.index('cd "$scratch"') < script.rindex("make test")
    result = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], check=False)
    assert result.returncode == 0
