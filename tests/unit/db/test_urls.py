from __future__ import annotations

import pytest

from db.urls import asyncpg_dsn, redacted, sqlalchemy_url, with_database


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            "postgres://u:p@host:5432/app", "postgresql+asyncpg://u:p@host:5432/app", id="heroku"
        ),
        pytest.param("postgresql://u:p@host/app", "postgresql+asyncpg://u:p@host/app", id="libpq"),
        pytest.param(
            "postgresql+asyncpg://u@host/app", "postgresql+asyncpg://u@host/app", id="already"
        ),
        pytest.param(
            "postgresql://postgres:@/mjrelay?host=/tmp/pg",
            "postgresql+asyncpg://postgres:@/mjrelay?host=%2Ftmp%2Fpg",
            id="unix-socket",
        ),
        pytest.param(
            "postgres://u:p@h/app?sslmode=require",
            "postgresql+asyncpg://u:p@h/app?ssl=require",
            id="sslmode",
        ),
    ],
)
def test_sqlalchemy_url_accepts_paas_forms(given: str, expected: str) -> None:
    assert sqlalchemy_url(given) == expected


def test_sqlalchemy_url_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="mysql"):
        sqlalchemy_url("mysql://u:p@h/app")


def test_asyncpg_dsn_drops_driver_suffix() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p@h/app") == "postgresql://u:p@h/app"


def test_with_database_keeps_socket_query() -> None:
    url = with_database("postgresql://postgres:@/postgres?host=/tmp/pg", "t1")
    assert url == "postgresql://postgres:@/t1?host=/tmp/pg"


def test_redacted_masks_password_only() -> None:
    assert redacted("postgres://user:secret@h/app") == "postgres://user:***@h/app"
    assert redacted("postgres://user@h/app") == "postgres://user@h/app"
