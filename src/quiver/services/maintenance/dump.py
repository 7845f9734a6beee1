"""The database as JSON lines, one file per table, and back: portable across backends.

Rows are read through the models' tables (``Base.metadata``, so values come out as Python
types: aware UTC datetimes, booleans, JSON documents) in primary-key order, and written one
JSON object a line. Loading reflects the tables of the target database (created by the
migrations at the dump's schema version) and converts each value by its column's type, so a
dump taken from SQLite loads into PostgreSQL and the other way round.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from quiver.privatefs import open_private
from quiver.services.tables import Base

# Not state worth keeping: who runs the scheduled job right now (services/jobs).
# Leases and claims belong to running processes, not to the data a backup carries.
SKIPPED = frozenset({"job_leases", "blob_claims"})
BATCH = 1000

Row = dict[str, Any]


@dataclass(frozen=True)
class TableDump:
    """One table's file in a backup: how many rows, and the file's sha256."""

    name: str
    file: str
    rows: int
    sha256: str


def dumped_tables() -> list[Table]:
    """Every table worth keeping, parents before children (foreign-key order)."""
    return [table for table in Base.metadata.sorted_tables if table.name not in SKIPPED]


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} to a backup")


async def dump_table(
    connection: AsyncConnection,
    table: Table,
    path: Path,
    seen: Callable[[Row], None] | None = None,
) -> TableDump:
    """Write every row of ``table`` to ``path``; ``seen`` is called with each row."""
    digest, rows = hashlib.sha256(), 0
    query = select(table).order_by(*table.primary_key.columns)
    with open_private(path) as handle:  # rows hold password hashes and token digests
        result = await connection.stream(query)
        async for record in result.mappings():
            row = dict(record)
            if seen is not None:
                seen(row)
            line = json.dumps(row, default=_encode, ensure_ascii=False, separators=(",", ":"))
            data = line.encode() + b"\n"
            handle.write(data)
            digest.update(data)
            rows += 1
    return TableDump(table.name, path.name, rows, digest.hexdigest())


def reflect(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(connection)
    return metadata


async def reflected_tables(connection: AsyncConnection) -> MetaData:
    """The tables as the database has them."""
    return await connection.run_sync(reflect)


async def row_counts(connection: AsyncConnection) -> dict[str, int]:
    """Rows per table (Alembic's own table aside)."""
    metadata = await reflected_tables(connection)
    counts = {}
    for table in metadata.sorted_tables:
        if table.name != "alembic_version":
            counted = await connection.scalar(select(func.count()).select_from(table))
            counts[table.name] = int(counted or 0)
    return counts


async def drop_everything(connection: AsyncConnection) -> None:
    """Drop every table, Alembic's included."""
    metadata = await reflected_tables(connection)
    await connection.run_sync(metadata.drop_all)


def _converter(table: Table, name: str, dialect: str) -> Callable[[Any], Any]:
    column = table.columns.get(name)
    if column is None:
        raise ValueError(f"the backup has a column {table.name}.{name} the database lacks")
    if not isinstance(column.type, DateTime):
        return lambda value: value
    aware = bool(column.type.timezone) and dialect != "sqlite"

    def to_datetime(value: Any) -> Any:
        if value is None:
            return None
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment if aware else moment.replace(tzinfo=None)

    return to_datetime


async def load_table(connection: AsyncConnection, table: Table, path: Path) -> int:
    """Insert the rows of ``path`` into ``table`` (a reflected table); how many."""
    dialect = connection.dialect.name
    converters: dict[str, Callable[[Any], Any]] = {}
    batch: list[Row] = []
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            row: Mapping[str, Any] = json.loads(line)
            for name in row:
                if name not in converters:
                    converters[name] = _converter(table, name, dialect)
            batch.append({name: converters[name](value) for name, value in row.items()})
            if len(batch) >= BATCH:
                await connection.execute(table.insert(), batch)
                count, batch = count + len(batch), []
    if batch:
        await connection.execute(table.insert(), batch)
        count += len(batch)
    return count


async def reset_sequences(connection: AsyncConnection, metadata: MetaData) -> None:
    """On PostgreSQL, let each serial key go on after the largest restored value."""
    if connection.dialect.name != "postgresql":
        return  # SQLite takes the largest rowid + 1 by itself
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].autoincrement is False:
            continue
        sequence = await connection.scalar(
            select(func.pg_get_serial_sequence(f'"{table.name}"', keys[0].name))
        )
        if sequence is None:
            continue
        largest = await connection.scalar(select(func.max(keys[0])))
        await connection.scalar(select(func.setval(sequence, (largest or 0) + 1, False)))
