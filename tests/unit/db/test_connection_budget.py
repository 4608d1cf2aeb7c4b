"""The connection budget's arithmetic and its warning (db/connection_budget.py)."""

from __future__ import annotations

from db.connection_budget import budget_warning, web_connections, worker_connections


def test_a_worker_counts_its_pool_its_dispatcher_and_listen() -> None:
    assert worker_connections(20, 16) == 20 + 16 + 3 + 1
    assert web_connections(20) == 21


def test_four_default_workers_do_not_fit_in_the_default_server() -> None:
    most = worker_connections(20, 16)
    allowed = 100 - 3
    open_after_three = 3 * most
    assert budget_warning("worker", most, allowed, connected=0) is None
    warning = budget_warning("worker", most, allowed, connected=open_after_three)
    assert warning is not None
    assert f"up to {most} PostgreSQL connections" in warning and "allows 97" in warning
    assert "MJRELAY_DB_POOL_SIZE" in warning
