"""key counters: a key's unfinished tasks and today's tasks kept on its row

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00.000000

A keyed submit is admitted by one conditional UPDATE of its key's row (db/api_keys.py): the
limits are compared with counters on that row, which PostgreSQL re-reads after waiting for a
concurrent submit's lock, so no count of the key's tasks runs while the row is locked.
`api_keys.inflight` counts the key's unfinished tasks: the admission adds the new task (every
keyed task is inserted through it: app/taskstore.py), and a trigger on `tasks` follows a status
crossing between unfinished and final and a delete, whoever writes them.
`api_keys.counted_day` / `counted_day_tasks`: the tasks of the UTC day, the daily limit; they
replace `api_key_days` (an upsert per submit), whose history the key's tasks give (the
dashboard's usage per day counts them). `api_keys.rate_granted`: the tokens the last taking
took from the rate bucket (a web process takes a few at once). docs/keys.md (issue 18).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The final statuses as of this revision (app/domain/status.py); a migration does not follow
# later renames.
_FINAL = "'SUCCESS', 'FAILURE', 'CANCEL'"

_FUNCTION = f"""
CREATE FUNCTION mjrelay_key_inflight() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.key_id IS NOT NULL AND OLD.status NOT IN ({_FINAL}) THEN
        UPDATE api_keys SET inflight = inflight - 1 WHERE id = OLD.key_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.key_id IS NOT NULL AND NEW.status NOT IN ({_FINAL}) THEN
        UPDATE api_keys SET inflight = inflight + 1 WHERE id = NEW.key_id;
    END IF;
    RETURN NULL;
END
$$
"""
_TRIGGERS = (
    f"""
    CREATE TRIGGER tasks_key_inflight_update AFTER UPDATE OF status ON tasks FOR EACH ROW
    WHEN (NEW.key_id IS NOT NULL
          AND (OLD.status IN ({_FINAL})) IS DISTINCT FROM (NEW.status IN ({_FINAL})))
    EXECUTE FUNCTION mjrelay_key_inflight()
    """,
    f"""
    CREATE TRIGGER tasks_key_inflight_delete AFTER DELETE ON tasks FOR EACH ROW
    WHEN (OLD.key_id IS NOT NULL AND OLD.status NOT IN ({_FINAL}))
    EXECUTE FUNCTION mjrelay_key_inflight()
    """,
)


def upgrade() -> None:
    op.add_column(
        "api_keys", sa.Column("inflight", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("api_keys", sa.Column("counted_day", sa.Date(), nullable=True))
    op.add_column(
        "api_keys", sa.Column("counted_day_tasks", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "api_keys", sa.Column("rate_granted", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(_FUNCTION)
    for trigger in _TRIGGERS:
        op.execute(trigger)
    op.execute(
        f"""
        UPDATE api_keys k SET
            inflight = (SELECT count(*) FROM tasks t
                        WHERE t.key_id = k.id AND t.status NOT IN ({_FINAL})),
            counted_day = (now() AT TIME ZONE 'UTC')::date,
            counted_day_tasks = coalesce((SELECT d.tasks FROM api_key_days d
                                  WHERE d.key_id = k.id
                                    AND d.day = (now() AT TIME ZONE 'UTC')::date), 0)
        """
    )
    op.drop_table("api_key_days")


def downgrade() -> None:
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
    op.execute(
        """
        INSERT INTO api_key_days (key_id, day, tasks)
        SELECT key_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM tasks
        WHERE key_id IS NOT NULL GROUP BY 1, 2
        """
    )
    for name in ("update", "delete"):
        op.execute(f"DROP TRIGGER tasks_key_inflight_{name} ON tasks")
    op.execute("DROP FUNCTION mjrelay_key_inflight()")
    op.drop_column("api_keys", "rate_granted")
    op.drop_column("api_keys", "counted_day_tasks")
    op.drop_column("api_keys", "counted_day")
    op.drop_column("api_keys", "inflight")
