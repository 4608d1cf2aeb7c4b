"""The protocol half of app.discord imports no socket, async, HTTP or database library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import app.discord

PACKAGE = Path(app.discord.__file__).parent
TRANSPORTS = {"gateway", "rest", "rest_transport", "session", "__init__"}
PURE = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in TRANSPORTS)
FORBIDDEN = {
    "asyncio",
    "anyio",
    "socket",
    "ssl",
    "selectors",
    "websockets",
    "httpx",
    "tenacity",
    "sqlalchemy",
    "asyncpg",
    "db",
    "app.sandbox",
    "app.api",
    "app.worker",
    "app.db",
    "app.discord.gateway",
    "app.discord.rest",
    "app.discord.session",
}


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _closure(module: str) -> set[str]:
    """Imports of `module` and, transitively, of the app.discord modules it imports."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        for name in _imports(current):
            if name in seen:
                continue
            seen.add(name)
            stem = name.removeprefix("app.discord.")
            if name.startswith("app.discord.") and stem in PURE:
                todo.append(stem)
    return seen


def test_pure_module_list_is_not_empty() -> None:
    assert {"parse", "commands", "gateway_protocol", "correlation", "ratelimit"} <= set(PURE)


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_io(module: str) -> None:
    bad = {
        name
        for name in _closure(module)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, f"app.discord.{module} imports {sorted(bad)}"


def test_transports_do_not_parse() -> None:
    """Socket modules delegate: no regex or JSON-shape parsing of bot messages inside them."""
    for module in ("gateway", "rest"):
        path = PACKAGE / f"{module}.py"
        if path.exists():
            assert "import re\n" not in path.read_text(encoding="utf-8"), module


def test_pure_modules_import_without_the_transports() -> None:
    """Importing the protocol (through the package too) loads neither websockets nor httpx."""
    modules = ", ".join(f"app.discord.{name}" for name in PURE)
    code = (
        f"import sys, {modules}\n"
        "loaded = sorted(m for m in ('websockets', 'httpx') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
