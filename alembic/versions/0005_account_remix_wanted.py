"""account_remix_wanted: an operator's wished Remix state for an account (the admin route)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:00:00.000000

`remix_wanted` NULL: no wish (leave Remix as it is); the worker toggles Remix to match it
(docs/accounts.md "Admin route").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("remix_wanted", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("accounts", "remix_wanted")
