"""Where task rows are written, and how SQL names statuses (a source scan, no database).

- Statuses in SQL (db/) come from `TaskStatus` through db/statuses.py: a literal retyped in a
  statement (`'PENDING'`) would silently stop matching if the domain renamed the status.
- Task rows change in two places only (app/taskstore.py says why): `app/taskstore.py` (and its
  notes, app/task_notes.py), through `db/tasks.py`, `db/task_changes.py` and
  `db/task_inserts.py`, for everything a client can see, and `db/leasing.py` for lease
  bookkeeping.
  Retention deletes finished tasks (`db/retention.py`); metering writes `gpu_minutes` of finished
  tasks, a figure no client sees change, so no event or callback goes with it (`db/gpu_time.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

from app.domain.status import TaskStatus

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted([*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("db").rglob("*.py")])

_LITERAL = re.compile("'(" + "|".join(s.value for s in TaskStatus) + ")'")
_WRITE_SQL = re.compile(r"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+tasks\b", re.IGNORECASE)
_WRITE_CORE = re.compile(r"\b(update|insert|delete)\(tasks\)")
_STORE_CALL = re.compile(
    r"\b(q|tasks|task_queries|inserts|task_inserts|changes)\."
    r"(update_task|insert_task|insert_task_alone|change_task)\("
)

SQL_WRITERS = {
    "db/tasks.py",
    "db/task_changes.py",
    "db/task_inserts.py",
    "db/leasing.py",
    "db/retention.py",
    "db/gpu_time.py",
}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_sql_names_no_status_by_a_retyped_literal() -> None:
    found = [
        f"{_relative(path)}:{number}: {line.strip()}"
        for path in SOURCES
        if _relative(path).startswith("db/")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _LITERAL.search(line)
    ]
    assert found == [], "use db/statuses.py (from TaskStatus):\n" + "\n".join(found)


def test_task_rows_are_written_by_the_task_store_and_the_lease_only() -> None:
    sql = {
        _relative(path)
        for path in SOURCES
        if _WRITE_SQL.search(text := path.read_text(encoding="utf-8")) or _WRITE_CORE.search(text)
    }
    assert sql <= SQL_WRITERS
    callers = {
        _relative(path) for path in SOURCES if _STORE_CALL.search(path.read_text(encoding="utf-8"))
    }
    assert callers == {"app/taskstore.py"}
