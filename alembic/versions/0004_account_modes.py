"""account_modes: an account's Midjourney state and choice settings; a task's speed mode and filter

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 05:45:00.000000

Column meanings: docs/accounts.md (issue 16).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'{}'::jsonb")


def _account_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("job_mode", sa.Text(), nullable=True),
        sa.Column("remix", sa.Boolean(), nullable=True),
        sa.Column("remix_auto", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("fast_time_remaining", sa.Text(), nullable=True),
        sa.Column("fast_minutes_left", sa.Float(), nullable=True),
        sa.Column("fast_exhausted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("subscription", sa.Text(), nullable=True),
        sa.Column("queued_jobs", sa.Integer(), nullable=True),
        sa.Column("running_jobs", sa.Integer(), nullable=True),
        sa.Column("info", postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column("settings", postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column("state_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("weight", sa.Integer(), server_default="1", nullable=False),
        sa.Column("daily_job_cap", sa.Integer(), nullable=True),
        sa.Column("working_hours", sa.Text(), nullable=True),
        sa.Column("last_leased_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _task_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("request_mode", sa.Text(), nullable=True),
        sa.Column("filter_account_id", sa.Text(), nullable=True),
        sa.Column("filter_modes", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("filter_remix", sa.Boolean(), nullable=True),
        sa.Column("remix_auto", sa.Boolean(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    for column in _account_columns():
        op.add_column("accounts", column)
    for column in _task_columns():
        op.add_column("tasks", column)


def downgrade() -> None:
    for column in _task_columns():
        op.drop_column("tasks", column.name)
    for column in _account_columns():
        op.drop_column("accounts", column.name)
