"""The tests folder's own rule: every folder with test modules is a package.

With `--import-mode=importlib`, two `test_x.py` in folders that are not packages all the way up
can be imported under one name, and the second silently loses its fixtures.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_folder_with_test_modules_is_a_package() -> None:
    folders = {p.parent for p in TESTS.rglob("test_*.py")}
    with_ancestors = {
        f for folder in folders for f in [folder, *folder.parents] if TESTS in [f, *f.parents]
    }
    missing = sorted(
        str(f.relative_to(TESTS.parent))
        for f in with_ancestors
        if not (f / "__init__.py").is_file()
    )
    assert missing == [], f"add __init__.py to: {missing}"
