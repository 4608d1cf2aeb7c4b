"""gpu_minutes: a task's fast GPU minutes estimated from the account's /info fast time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00.000000

`tasks.gpu_minutes`: the fast time the account's /info showed spent while the task ran, its share
of the drop between two readings (NULL: no estimate, the usage export falls back to wall-clock).
`accounts.fast_read_at`: when `fast_minutes_left` was last read from /info, the start of the
next reading's window. docs/keys.md "Metering and usage" (issue 18).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("gpu_minutes", sa.Float(), nullable=True))
    op.add_column("accounts", sa.Column("fast_read_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("accounts", "fast_read_at")
    op.drop_column("tasks", "gpu_minutes")
