"""``quiver admin``: fsck, backup and restore, run on a server host.

Like ``quiver serve`` and ``quiver db upgrade`` these open the database and the blob store
named by the ``QUIVER_*`` settings themselves; they do not talk to a running server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from quiver.cli.commands._common import EXIT_USAGE, JsonOpt, emit_json, fail, note, table, when

if TYPE_CHECKING:
    from quiver.services.maintenance.service import BackupError, FsckReport

T = TypeVar("T")
EXIT_PROBLEMS = 1

app = typer.Typer(
    help=(
        "Server administration on a server host: consistency check, backup and restore "
        "(settings from QUIVER_* environment variables, like 'quiver serve')."
    ),
    no_args_is_help=True,
)

GraceOpt = Annotated[
    float | None,
    typer.Option(
        "--grace",
        help=(
            "Seconds a leftover must be old before --repair removes it (default: "
            "QUIVER_ORPHAN_GRACE_SECONDS, 3600); younger ones may be uploads in flight."
        ),
        min=0,
        show_default=False,
    ),
]


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; store, backup and database failures become one ``error:`` line."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from quiver.blobs import BlobStoreError
    from quiver.services.maintenance.service import BackupError

    try:
        return asyncio.run(work)
    except BackupError as err:
        fail(str(err) + hint(err))
    except BlobStoreError as err:
        fail(f"QUIVER_STORAGE_URL: {err}", EXIT_USAGE)
    except (OperationalError, DBAPIError, OSError) as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        fail(f"cannot use the database or the files: {reason}", EXIT_USAGE)


def hint(err: BackupError) -> str:
    """The command that gets past ``err`` (the service's messages name none), or ""."""
    from quiver.services.maintenance import service

    hints = {
        service.SCHEMA_BEHIND: " Run 'quiver db upgrade' first.",
        service.BLOBS_MISSING: " Run 'quiver admin fsck' for the full list.",
        service.DATABASE_NOT_EMPTY: " To replace everything in it, pass --force.",
    }
    return hints.get(err.details.get("code", ""), "")


def fsck(
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Remove the stale leftovers (never rows or blobs in use)."),
    ] = False,
    grace: GraceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check that every file row has its blobs and every blob a row.

    Reports orphan blobs (no row needs them: left by a crash between storing a file and
    recording it), unfinished writes in the store, temporary files of uploads that never
    finished, and rows whose blobs are missing. With --repair the stale leftovers are
    removed; rows with missing blobs are only reported. Exit status 1 while anything is
    left to fix.
    """
    from quiver.cli.commands._common import server_settings
    from quiver.services.maintenance import service

    settings = server_settings({})
    report = _run(service.fsck(settings, repair=repair, grace_seconds=grace))
    if as_json:
        emit_json(_report_json(report))
    else:
        _show(report, repair)
    if report.problems:
        raise typer.Exit(EXIT_PROBLEMS)


def _report_json(report: FsckReport) -> dict[str, Any]:
    leftovers = [
        {
            "kind": item.kind,
            "path": item.path,
            "size": item.size,
            "modified": item.modified.isoformat(),
            "removable": item.removable,
            "removed": item.removed,
        }
        for item in report.leftovers
    ]
    return {
        "blobs": report.blobs,
        "referenced": report.referenced,
        "foreign": report.foreign,
        "leftovers": leftovers,
        "missing": [asdict(row) for row in report.missing],
        "problems": report.problems,
    }


def _show(report: FsckReport, repair: bool) -> None:
    note(f"Checked {report.blobs} blobs in the store against {report.referenced} that rows need.")
    if report.foreign:
        note(f"Left alone {report.foreign} object(s) in the store whose names are not blob keys.")
    rows = []
    for item in report.leftovers:
        if item.removed:
            state = "removed"
        elif item.removable:
            state = "stale: --repair removes it"
        else:
            state = "recent: may be an upload in flight"
        rows.append([item.kind, item.path, item.size, when(item.modified.isoformat()), state])
    table(["kind", "path", "bytes", "modified", "state"], rows, empty="No leftovers.")
    missing = [
        [row.feed, row.package, row.version, row.filename, row.part, row.key]
        for row in report.missing
    ]
    table(
        ["feed", "package", "version", "filename", "missing", "blob key"],
        missing,
        empty="Every row has its blobs.",
    )
    if report.missing:
        note(
            f"{len(report.missing)} row(s) need blobs that are missing: restore those files "
            "from a backup, or delete the versions ('quiver package delete')."
        )
    stale = sum(1 for item in report.leftovers if item.removable and not item.removed)
    if stale and not repair:
        note(f"Run 'quiver admin fsck --repair' to remove the {stale} stale leftover(s).")
    if not report.problems:
        note("Nothing to fix.")


def backup(
    dest: Annotated[Path, typer.Argument(help="A new (or empty) directory for the backup.")],
    as_json: JsonOpt = False,
) -> None:
    """Back up the database and every blob it needs, as of one moment.

    Safe while servers run: the rows are read in one snapshot transaction, then the blobs
    they need are copied and checked against their recorded sha256. Works the same for
    SQLite and PostgreSQL, for the filesystem and S3 stores.
    """
    from quiver.cli.commands._common import server_settings
    from quiver.services.maintenance import service

    settings = server_settings({})
    manifest = _run(service.backup(settings, dest.resolve()))
    if as_json:
        emit_json({"path": str(dest.resolve()), **manifest.to_json()})
        return
    rows = sum(table.rows for table in manifest.tables)
    note(
        f"Backed up {rows} rows of {len(manifest.tables)} tables (schema "
        f"{manifest.alembic_revision}) and {manifest.blobs} blobs ({manifest.blob_bytes} "
        f"bytes) to {dest}."
    )


def restore(
    src: Annotated[Path, typer.Argument(help="A directory 'quiver admin backup' wrote.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace everything the database holds (it is dropped)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into an empty database and the blob store, then migrate it.

    Stop the servers first. Every file of the backup is checked against its manifest
    before anything is written. Blobs already in the store are kept; a database that is
    not empty is refused unless --force.
    """
    from quiver.cli.commands._common import server_settings
    from quiver.privatefs import private_dirs
    from quiver.services.maintenance import service

    settings = server_settings({})
    private_dirs(settings.data_dir)
    done = _run(service.restore(settings, src.resolve(), force=force))
    if as_json:
        emit_json(
            {
                "rows": done.rows,
                "blobs_copied": done.blobs_copied,
                "blobs_present": done.blobs_present,
                "backup": done.manifest.to_json(),
            }
        )
        return
    note(
        f"Restored {done.rows} rows and {done.manifest.blobs} blobs ({done.blobs_copied} "
        f"copied, {done.blobs_present} already in the store) from the backup of "
        f"{when(done.manifest.created_at)} UTC. The database is at the newest schema."
    )


def register(root: typer.Typer) -> None:
    app.command("fsck")(fsck)
    app.command("backup")(backup)
    app.command("restore")(restore)
    root.add_typer(app, name="admin")
