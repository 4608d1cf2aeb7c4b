"""app/sandbox imports one way: no cycles, and each layer only from the layers it may use.

Read from the source (AST), every import counted (module level, in functions, and under
TYPE_CHECKING), so a lazy import cannot hide a cycle. docs/sandbox.md ("Inside") shows the map.
"""

from __future__ import annotations

import ast
from pathlib import Path

import app.sandbox

PACKAGE = "app.sandbox"
ROOT = Path(app.sandbox.__file__).parent

LAYERS: dict[str, set[str]] = {
    # wire shapes, ids, stores, rules: pure, or Starlette/Pillow/PyAV only
    "foundation": {
        "accounts", "bounds", "cdn", "commands", "components", "discord_objects", "errors",
        "faults",
        "image_codec", "images", "interactions", "message_search",
        "messages", "mj_panel", "mj_profile", "mj_replies", "prompts", "ratelimit", "render_cache",
        "slots",
        "snowflake", "speed", "store", "video", "video_media", "video_shapes",
    },
    "context": {"context", "emitter"},  # the bots' view of the world, and its message half
    "bots": {
        "bot_flags", "impostor", "midjourney", "mj_actions", "mj_commands", "mj_controls",
        "mj_derive", "mj_remix",
        "mj_editor", "mj_jobs", "mj_respond", "mj_state", "mj_video", "pika",
    },
    "gateway": {"gateway", "gateway_ready", "gateway_session"},
    "wiring": {"core", "fault_control", "services"},
    "http": {
        "__init__", "rest", "rest_guilds", "attachment_links", "server", "validation", "web_routes"
    },
}  # fmt: skip
MAY_IMPORT: dict[str, set[str]] = {
    "foundation": {"foundation"},
    "context": {"foundation", "context"},
    "bots": {"foundation", "context", "bots"},
    "gateway": {"foundation", "gateway"},
    "wiring": {"foundation", "context", "bots", "gateway", "wiring"},
    "http": set(LAYERS),
}


def _modules() -> set[str]:
    return {path.stem for path in ROOT.glob("*.py")}


def _target(dotted: str) -> str | None:
    """The sandbox module a dotted import name loads: `app.sandbox.gateway` -> gateway."""
    if dotted == PACKAGE:
        return "__init__"
    if dotted.startswith(PACKAGE + "."):
        return dotted.split(".")[2]
    return None


def _imports(module: str) -> set[str]:
    """The sandbox modules `module` imports (`from app.sandbox import images` -> images)."""
    tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
    modules = _modules()
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_target(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: use absolute imports"
            if node.module == PACKAGE:  # a submodule, or a name the package __init__ exports
                found.update(a.name if a.name in modules else "__init__" for a in node.names)
            else:
                found.add(_target(node.module or ""))
    return {name for name in found if name is not None and name != module}


def _graph() -> dict[str, set[str]]:
    return {module: _imports(module) for module in sorted(_modules())}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None (depth-first search with a stack of modules in progress)."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph.get(module, ())):
            found = visit(target, [*path, module])
            if found:
                return found
        done.add(module)
        return None

    for module in graph:
        found = visit(module, [])
        if found:
            return found
    return None


def test_the_sandbox_package_has_no_import_cycle() -> None:
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_each_module_imports_only_from_the_layers_it_may_use() -> None:
    layer_of = {module: layer for layer, modules in LAYERS.items() for module in modules}
    unplaced = _modules() - set(layer_of)
    assert not unplaced, f"give these modules a layer in this test: {sorted(unplaced)}"
    wrong = [
        f"{module} ({layer_of[module]}) imports {target} ({layer_of[target]})"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if layer_of[target] not in MAY_IMPORT[layer_of[module]]
    ]
    assert not wrong, wrong


def test_the_sandbox_shares_no_code_with_the_discord_client() -> None:
    for module in _modules():
        tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "app.discord" or n.startswith("app.discord.") for n in names), (
                module
            )


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
