"""niji_state: niji・journey's own state of an account; a task's `accountFilter.nijiRemix`

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:40:00.000000

niji・journey keeps its own speed mode and Remix per account (spec v2 §6), read from niji's /info
and /settings beside Midjourney's. Column meanings: docs/accounts.md (issue 17).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'{}'::jsonb")


def _account_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("niji_job_mode", sa.Text(), nullable=True),
        sa.Column("niji_remix", sa.Boolean(), nullable=True),
        sa.Column("niji_info", postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column("niji_settings", postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column("niji_state_read_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    for column in _account_columns():
        op.add_column("accounts", column)
    op.add_column("tasks", sa.Column("filter_niji_remix", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("tasks", "filter_niji_remix")
    for column in _account_columns():
        op.drop_column("accounts", column.name)
