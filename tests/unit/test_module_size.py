"""One job per module: no module of `app/` or `db/` grows past the size the architecture allows
(docs/architecture.md, "Module size")."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 320  # "about 300 lines"
EXCEPTIONS = {"db/tables.py"}  # the whole schema in one place


def test_no_module_outgrows_one_job() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for folder in ("app", "db")
        for path in (ROOT / folder).rglob("*.py")
    }
    too_long = {name: n for name, n in sizes.items() if n > LIMIT and name not in EXCEPTIONS}
    assert too_long == {}, f"split these by responsibility: {too_long}"
