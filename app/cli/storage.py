"""`mjrelay storage …`: check the result store against the database; move old blobs into it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from app.cli.common import database, fail, load_cli_settings, run_once
from app.config import Settings
from app.storage.store import ObjectStore, StorageError
from db.engine import make_engine

T = TypeVar("T")
SHOWN = 50  # problems listed by name; the rest are counted

storage_cli = typer.Typer(
    help="Result files in the object store (MJRELAY_STORAGE_URL).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _open_store(settings: Settings) -> ObjectStore:
    return ObjectStore(
        settings.storage_location(),
        public_url=settings.storage_public_url,
        presign_s=settings.storage_presign_s,
    )


def _with_store(work: Callable[[object, ObjectStore], Awaitable[T]]) -> T:
    settings = load_cli_settings(quiet=True)
    try:
        store = _open_store(settings)
    except Exception as exc:  # obstore refuses a bad bucket name or endpoint here
        fail(f"storage {settings.storage_location().describe()}: {type(exc).__name__}")
    with database(settings) as handle:

        async def go() -> T:
            engine = make_engine(handle.url, pool_size=4)
            try:
                return await work(engine, store)
            finally:
                await engine.dispose()

        return run_once(handle, go(), failures=(StorageError,))


@storage_cli.command()
def check(
    repair: bool = typer.Option(
        False, help="Delete orphan objects; hand missing ones back to the archiver."
    ),
    min_age: float = typer.Option(
        600, min=0, help="With --repair: only delete orphans older than this many seconds."
    ),
) -> None:
    """List objects no task owns and tasks whose object is missing (exit 1 when any remain)."""
    from app.storage.check import check_storage

    report = _with_store(
        lambda engine, store: check_storage(engine, store, repair=repair, min_age_s=min_age)
    )
    typer.echo(f"objects: {report.objects}, stored rows: {report.rows}")
    for key in report.orphans[:SHOWN]:
        typer.echo(f"orphan: {key}")
    for task_id, name, key in report.missing[:SHOWN]:
        typer.echo(f"missing: task {task_id} {name} ({key})")
    hidden = max(0, len(report.orphans) - SHOWN) + max(0, len(report.missing) - SHOWN)
    if hidden:
        typer.echo(f"… and {hidden} more")
    typer.echo(f"orphans: {len(report.orphans)}, missing: {len(report.missing)}")
    if repair:
        typer.echo(f"deleted: {report.deleted}, handed back to the archiver: {report.rearmed}")
    unrepaired = len(report.orphans) - report.deleted + len(report.missing) - report.rearmed
    if unrepaired > 0:
        raise typer.Exit(1)


@storage_cli.command()
def migrate() -> None:
    """Move results archived as bytes in the database (before object storage) into the store."""
    from app.storage.legacy import migrate_legacy_blobs

    moved = _with_store(lambda engine, store: migrate_legacy_blobs(engine, store))
    typer.echo(f"moved {moved} file(s) into the store")
