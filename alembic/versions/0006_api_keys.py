"""api_keys: client keys with limits, their daily counts, idempotent submits, a task's key

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 06:00:00.000000

Meanings: docs/keys.md (issue 18). Only the SHA-256 of a key is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINAL = "'SUCCESS', 'FAILURE', 'CANCEL'"


def _now_column(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("key_prefix", sa.Text(), nullable=False),
        sa.Column("admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("daily_limit", sa.Integer(), nullable=True),
        sa.Column("total_limit", sa.BigInteger(), nullable=True),
        sa.Column("concurrency", sa.Integer(), nullable=True),
        sa.Column("rate_per_min", sa.Integer(), nullable=True),
        sa.Column("dialects", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("accounts", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("tasks_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rate_tokens", sa.Float(), server_default="0", nullable=False),
        _now_column("rate_at"),
        _now_column("created_at"),
        _now_column("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "api_key_days",
        sa.Column("key_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tasks", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_days_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", "day", name=op.f("pk_api_key_days")),
    )
    op.add_column("tasks", sa.Column("key_id", sa.BigInteger(), nullable=True))
    op.add_column("tasks", sa.Column("key_accounts", postgresql.ARRAY(sa.Text()), nullable=True))
    op.create_foreign_key(
        op.f("fk_tasks_key_id_api_keys"),
        "tasks",
        "api_keys",
        ["key_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_tasks_key_unfinished",
        "tasks",
        ["key_id"],
        postgresql_where=sa.text(f"key_id IS NOT NULL AND status NOT IN ({_FINAL})"),
    )
    op.create_index("ix_tasks_key_id_created_at", "tasks", ["key_id", "created_at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Text(), nullable=True),
        _now_column("created_at"),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_idempotency_keys_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_tasks_key_id_created_at", table_name="tasks")
    op.drop_index("ix_tasks_key_unfinished", table_name="tasks")
    op.drop_constraint(op.f("fk_tasks_key_id_api_keys"), "tasks", type_="foreignkey")
    op.drop_column("tasks", "key_accounts")
    op.drop_column("tasks", "key_id")
    op.drop_table("api_key_days")
    op.drop_table("api_keys")
