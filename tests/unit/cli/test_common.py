"""One-shot commands end in one line on a failure (app/cli/common.py `run_once`), never a
traceback, and the database URL they name has no password."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy.exc import OperationalError

from app.cli.common import run_once
from app.errors import DatabaseUnavailable
from db.database import DatabaseHandle

HANDLE = DatabaseHandle(url="postgresql://relay:hunter22@db.example:5432/mjrelay")


async def _raise(exc: Exception) -> None:
    raise exc


class StoreRefused(RuntimeError):
    pass


@pytest.mark.parametrize(
    ("exc", "failures", "line"),
    [
        (
            OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused\nmore")),
            (),
            "mjrelay: error: database postgresql://relay:***@db.example:5432/mjrelay:"
            " connection refused",
        ),
        (DatabaseUnavailable("schema too old"), (), "mjrelay: error: schema too old"),
        (StoreRefused("bucket missing"), (StoreRefused,), "mjrelay: error: bucket missing"),
    ],
    ids=["database", "mjrelay", "named"],
)
def test_a_failure_is_one_line_and_exit_1(
    exc: Exception, failures: tuple[type[Exception], ...], line: str, capsys
) -> None:
    with pytest.raises(typer.Exit) as exited:
        run_once(HANDLE, _raise(exc), failures)
    assert exited.value.exit_code == 1
    assert capsys.readouterr().err.splitlines() == [line]


def test_its_result_is_the_works() -> None:
    async def work() -> int:
        return 42

    assert run_once(HANDLE, work()) == 42
