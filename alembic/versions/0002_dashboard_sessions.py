"""dashboard sessions, login failures, unfinished-task index for /metrics

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 02:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNFINISHED = sa.text("status NOT IN ('SUCCESS', 'FAILURE', 'CANCEL')")


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index(
        "ix_dashboard_sessions_expires_at", "dashboard_sessions", ["expires_at"], unique=False
    )
    op.create_table(
        "dashboard_login_failures",
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_dashboard_login_failures")),
    )
    op.create_index("ix_tasks_unfinished_status", "tasks", ["status"], postgresql_where=_UNFINISHED)


def downgrade() -> None:
    op.drop_index("ix_tasks_unfinished_status", table_name="tasks", postgresql_where=_UNFINISHED)
    op.drop_table("dashboard_login_failures")
    op.drop_index("ix_dashboard_sessions_expires_at", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
