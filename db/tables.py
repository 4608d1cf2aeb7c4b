"""The schema: the single source Alembic migrations are checked against.

The four tables of the design:

    accounts        Discord identities and their ownership lease
    tasks           the canonical task model, a superset of every dialect
    task_events     append-only history, one row per state change with a per-task sequence
    deliveries      the callback outbox, written in the same transaction as the change it reports

and the ones that grew around them: `workers` (live workers' heartbeats, for fair shares of
accounts), `task_files` (a task's input images and masks), `task_objects` (its result files in
object storage, and the archive job that puts them there),
`callback_endpoints` (callback URLs disabled after a 410), `dashboard_sessions` and
`dashboard_login_failures` (dashboard sign-ins and their rate limit), `api_keys`,
and `idempotency_keys` (client keys, idempotent submits).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from app.domain.status import TaskStatus
from db.statuses import ACTIVE, FINAL, PENDING

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated() -> Column[object]:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


accounts = Table(
    "accounts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False, server_default=""),
    # The Discord token: never returned by an API, never logged.
    Column("token", Text, nullable=False),
    Column("guild_id", Text, nullable=False),
    Column("channel_id", Text, nullable=False),
    Column("user_agent", Text),
    Column("bots", ARRAY(Text), nullable=False, server_default=text("ARRAY['mj']::text[]")),
    Column("mode", Text, nullable=False, server_default="fast"),
    Column("concurrency", Integer, nullable=False, server_default="3"),
    Column("queue_size", Integer, nullable=False, server_default="10"),
    Column("task_timeout_s", Integer, nullable=False, server_default="600"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("sandbox", Boolean, nullable=False, server_default=text("false")),
    Column("api_base", Text),
    Column("gateway_url", Text),
    Column("health", Text, nullable=False, server_default="ok"),
    Column("health_reason", Text),
    Column("health_since", DateTime(timezone=True)),
    # Ownership lease: one worker drives an account at a time; `fence` grows on every takeover.
    Column("owner", Text),
    Column("fence", BigInteger, nullable=False, server_default="0"),
    Column("lease_expires_at", DateTime(timezone=True)),
    # Midjourney's state of the account, as last read from /info and /settings (docs/accounts.md).
    # `mode` above is the operator's default speed mode; `job_mode` is the mode the account is in.
    Column("job_mode", Text),
    Column("remix", Boolean),
    Column("remix_auto", Boolean, nullable=False, server_default=text("true")),
    Column("fast_time_remaining", Text),
    Column("fast_minutes_left", Float),
    Column("fast_exhausted", Boolean, nullable=False, server_default=text("false")),
    # When fast_minutes_left was last read from /info (the next reading's window starts there).
    Column("fast_read_at", DateTime(timezone=True)),
    Column("subscription", Text),
    Column("queued_jobs", Integer),
    Column("running_jobs", Integer),
    Column("info", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("state_read_at", DateTime(timezone=True)),
    # Account choice: weighted share, own daily cap, working hours ("HH:MM-HH:MM" UTC).
    Column("weight", Integer, nullable=False, server_default="1"),
    Column("daily_job_cap", Integer),
    Column("working_hours", Text),
    Column("last_leased_at", DateTime(timezone=True)),
    # The operator's wished Remix state (admin route, migration 0005); NULL: no wish.
    Column("remix_wanted", Boolean),
    # niji・journey's own state of the account (its /info and /settings, migration 0007).
    Column("niji_job_mode", Text),
    Column("niji_remix", Boolean),
    Column("niji_info", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("niji_settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("niji_state_read_at", DateTime(timezone=True)),
    _created(),
    _updated(),
)

# Live workers: each heartbeats here, so a worker that owns nothing yet still counts when the
# others work out their fair share of accounts.
workers = Table(
    "workers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("hostname", Text, nullable=False, server_default=""),
    Column("pid", Integer),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Client keys (docs/keys.md): only the SHA-256 of the key is kept. Limits are NULL when unset.
# `tasks_total` counts every task the key created (its total limit), `counted_day_tasks` those
# of the UTC day `counted_day` (its daily limit), `inflight` its unfinished tasks (its
# concurrency; kept by a trigger on `tasks`, alembic 0009); the rate limit is a token bucket in
# `rate_tokens`, refilled from `rate_at` on each request (`rate_granted`: the tokens its last
# taking took, db/api_keys.py `use_key`).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("key_prefix", Text, nullable=False),
    Column("admin", Boolean, nullable=False, server_default=text("false")),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("expires_at", DateTime(timezone=True)),
    Column("daily_limit", Integer),
    Column("total_limit", BigInteger),
    Column("concurrency", Integer),
    Column("rate_per_min", Integer),
    Column("dialects", ARRAY(Text)),
    Column("accounts", ARRAY(Text)),
    Column("tasks_total", BigInteger, nullable=False, server_default="0"),
    Column("rate_tokens", Float, nullable=False, server_default="0"),
    Column("rate_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("inflight", Integer, nullable=False, server_default="0"),
    Column("counted_day", Date),
    Column("counted_day_tasks", Integer, nullable=False, server_default="0"),
    Column("rate_granted", Integer, nullable=False, server_default="0"),
    _created(),
    _updated(),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Text, primary_key=True),
    Column("dialect", Text, nullable=False),
    Column("bot", Text, nullable=False, server_default="mj"),
    Column("action", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=TaskStatus.PENDING.value),
    Column("prompt", Text, nullable=False, server_default=""),
    Column("prompt_en", Text),
    Column("final_prompt", Text),
    Column("description", Text),
    # Action parameters: button index, custom id, dimensions, mask, modal fields …
    Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Input images as stored references (bytes live in `task_inputs` once the API stores them).
    Column("inputs", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("account_id", Text, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("parent_id", Text, ForeignKey("tasks.id", ondelete="SET NULL")),
    # Discord correlation: nonce → interaction → message → job hash.
    Column("nonce", Text),
    Column("interaction_id", Text),
    Column("message_id", Text),
    Column("message_hash", Text),
    Column("message_flags", Integer),
    Column("progress", Integer, nullable=False, server_default="0"),
    Column("preview_url", Text),
    Column("image_url", Text),
    Column("video_url", Text),
    Column("buttons", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("fail_reason", Text),
    Column("notify_url", Text),
    Column("client_state", Text),
    Column("client_data", JSONB),
    Column("properties", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("submit_time", BigInteger),
    Column("start_time", BigInteger),
    Column("finish_time", BigInteger),
    Column("event_seq", Integer, nullable=False, server_default="0"),
    Column("submit_attempts", Integer, nullable=False, server_default="0"),
    # Task lease: which worker (with which account fence) drives it.
    Column("leased_by", Text),
    Column("fence", BigInteger),
    Column("lease_expires_at", DateTime(timezone=True)),
    # Speed mode and account filter (docs/accounts.md): what the client asked, what it ran in.
    Column("request_mode", Text),
    Column("filter_account_id", Text),
    Column("filter_modes", ARRAY(Text)),
    Column("filter_remix", Boolean),
    Column("filter_niji_remix", Boolean),
    Column("remix_auto", Boolean),
    Column("mode", Text),
    # The client key that submitted it (docs/keys.md): who may read it, whose quota it uses,
    # and the accounts that key may use (copied at submit, so the lease needs no join).
    Column("key_id", BigInteger, ForeignKey("api_keys.id", ondelete="SET NULL")),
    Column("key_accounts", ARRAY(Text)),
    # Fast GPU minutes the task cost, its share of the drop of /info's fast time (db/gpu_time.py).
    Column("gpu_minutes", Float),
    _created(),
    _updated(),
    # A key's unfinished tasks (its concurrency limit) and its newest tasks (its lists).
    Index(
        "ix_tasks_key_unfinished",
        "key_id",
        postgresql_where=text(f"key_id IS NOT NULL AND status NOT IN ({FINAL})"),
    ),
    Index("ix_tasks_key_id_created_at", "key_id", "created_at"),
    # Leasing: oldest pending first (the claim filters unassigned or pinned-to-this-account rows).
    Index(
        "ix_tasks_pending_oldest",
        "created_at",
        "id",
        postgresql_where=text(f"status = {PENDING}"),
    ),
    # Counting an account's running tasks against its cap.
    Index(
        "ix_tasks_active_by_account",
        "account_id",
        postgresql_where=text(f"status IN ({ACTIVE})"),
    ),
    Index("ix_tasks_nonce", "nonce"),
    Index("ix_tasks_message_id", "message_id"),
    Index("ix_tasks_message_hash", "message_hash"),
    Index("ix_tasks_parent_id", "parent_id"),
    Index("ix_tasks_created_at", "created_at"),
    # /metrics counts unfinished tasks by status from this small index, never the whole table.
    Index(
        "ix_tasks_unfinished_status",
        "status",
        postgresql_where=text(f"status NOT IN ({FINAL})"),
    ),
)

task_events = Table(
    "task_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("task_id", Text, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created(),
    UniqueConstraint("task_id", "seq"),
)

# Files of a task kept in the database: input images (role `input`, uploaded to Discord by the
# worker) and a Vary (Region) mask (`mask`). Results (`result`, `thumb`) were kept here before
# object storage; the worker and `mjrelay storage migrate` move those into the store.
task_files = Table(
    "task_files",
    metadata,
    Column("task_id", Text, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("content_type", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("source", Text),
    Column("data", LargeBinary, nullable=False),
    _created(),
)

# A task's files in object storage (app/storage): one row per file (`image`, `video`, `thumb`).
# The row is the archive job too: inserted `pending` in the transaction that records SUCCESS,
# retried with backoff until `stored` (bytes in the store under `key`) or finally `failed`.
task_objects = Table(
    "task_objects",
    metadata,
    Column("task_id", Text, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("key", Text, nullable=False),
    Column("state", Text, nullable=False, server_default="pending"),
    Column("source", Text),
    Column("content_type", Text),
    Column("size", BigInteger),
    Column("sha256", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("stored_at", DateTime(timezone=True)),
    _created(),
    # The archiver's scan: due jobs that are still pending.
    Index("ix_task_objects_due", "next_attempt_at", postgresql_where=text("state = 'pending'")),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("task_id", Text, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    # Stable across retries, so receivers can drop duplicates (Standard Webhooks `webhook-id`).
    Column("webhook_id", Text, nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("dialect", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("attempt_log", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("delivered_at", DateTime(timezone=True)),
    _created(),
    UniqueConstraint("task_id", "seq"),
    # The dispatcher's scan: due deliveries that are still pending.
    Index(
        "ix_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    # Per-task FIFO: "is an earlier delivery of this task still pending?" in one probe.
    Index(
        "ix_deliveries_pending_by_task",
        "task_id",
        "seq",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_deliveries_created_at", "created_at"),
)

# Callback URLs the dispatcher stopped sending to: a receiver answered 410 Gone. A redeliver
# through the API enables the URL again.
callback_endpoints = Table(
    "callback_endpoints",
    metadata,
    Column("url", Text, primary_key=True),
    Column("disabled_at", DateTime(timezone=True)),
    Column("disabled_reason", Text),
    _created(),
    _updated(),
)

# `Idempotency-Key` of submits (docs/keys.md): per caller scope ("key:<id>", "secret",
# "anonymous"), the hash of the request it was first used with and the task it made; 24 h.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("task_id", Text, ForeignKey("tasks.id", ondelete="CASCADE")),
    _created(),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# Dashboard sign-ins (docs/dashboard.md). The cookie carries a random session id; only its
# SHA-256 is kept here, so signing out (deleting the row) ends the session in every web process.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_hash", Text, primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    _created(),
    Index("ix_dashboard_sessions_expires_at", "expires_at"),
)

# Failed dashboard sign-ins per client address in the current window: the login rate limit,
# shared by every web process.
dashboard_login_failures = Table(
    "dashboard_login_failures",
    metadata,
    Column("client", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
)
