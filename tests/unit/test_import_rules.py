"""The import rules (import-linter contracts in pyproject.toml; docs/architecture.md says why).

Each contract is one test, so a failure names the rule and the import chain that breaks it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
CONTRACTS = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]


@pytest.fixture(autouse=True)
def _loggers_stay_enabled() -> Iterator[None]:
    """`lint_imports` configures logging with dictConfig, which disables every logger that exists
    already: a later test's caplog would then see nothing of them."""
    loggers = [v for v in logging.root.manager.loggerDict.values() if isinstance(v, logging.Logger)]
    disabled = [logger.disabled for logger in loggers]
    yield
    for logger, was_disabled in zip(loggers, disabled, strict=True):
        logger.disabled = was_disabled


@pytest.mark.parametrize("contract", [c["id"] for c in CONTRACTS])
def test_the_import_rule_holds(contract: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(
        config_filename=str(CONFIG), limit_to_contracts=(contract,), no_cache=True, no_logo=True
    )
    assert code == 0, capsys.readouterr().out


def test_the_rules_catch_forbidden_imports(tmp_path: Path) -> None:
    """A copy of the tree with one forbidden import per rule breaks exactly those rules."""
    for package in ("app", "db"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(CONFIG, tmp_path / "pyproject.toml")
    injected = {  # contract id -> a file of the copy and the import that breaks the rule
        "core-pure": ("app/domain/status.py", "from db import tasks"),
        "discord-protocol-pure": ("app/discord/parse.py", "import httpx"),
        "sandbox-apart": ("app/sandbox/errors.py", "from app.discord import errors"),
        "db-below-services": ("db/urls.py", "from app.worker import wakeup"),
        "no-cycles": ("db/urls.py", "from db import engine"),  # engine imports urls
        "cli-on-top": ("app/serve.py", "from app.cli import common"),
        "config-below-services": ("app/config/values.py", "from app.api import origin"),
        "callbacks-take-values": ("app/callbacks/signing.py", "from app import config"),
    }
    assert set(injected) == {c["id"] for c in CONTRACTS}, "each rule gets a violation here"
    for path, line in injected.values():
        with (tmp_path / path).open("a") as source:
            source.write(f"\n{line}  # noqa\n")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    for contract in CONTRACTS:
        assert contract["name"] in broken, result.stdout


def test_every_discord_module_is_either_protocol_or_transport() -> None:
    """A new module of app/discord joins the sans-IO rule or is named a transport there."""
    contract = next(c for c in CONTRACTS if c["id"] == "discord-protocol-pure")
    named = {*contract["source_modules"], *contract["forbidden_modules"]}
    modules = {f"app.discord.{p.stem}" for p in (ROOT / "app" / "discord").glob("*.py")}
    assert modules - {"app.discord.__init__"} <= named
