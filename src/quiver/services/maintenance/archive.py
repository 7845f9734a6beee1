"""A backup on disk: its layout, its manifest, and copying blobs in and out with checks.

::

    DEST/manifest.json           what is there, with counts and sha256 digests (written last)
    DEST/database/NN-TABLE.jsonl one file per table, parents first (see dump.py)
    DEST/blobs.jsonl             every blob: key, size, sha256
    DEST/blobs/KEY               the blobs, laid out like the filesystem store

A directory without ``manifest.json`` is an unfinished backup and is never restored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from quiver.blobs import BlobStore
from quiver.digests import file_sha256 as file_sha256  # one home, shared with the CLI
from quiver.domain.errors import Invalid
from quiver.privatefs import open_private, private_dirs, write_private
from quiver.services.maintenance.dump import TableDump

FORMAT = "quiver-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BLOB_LIST = "blobs.jsonl"
CHUNK = 1024 * 1024
PARALLEL = 4  # blobs copied at once


# ``code`` of the BackupErrors a caller may add a hint to (the CLI names its options).
SCHEMA_BEHIND = "schema_behind"  # the database needs its migrations first
BLOBS_MISSING = "blobs_missing"  # rows need blobs the store lacks
DATABASE_NOT_EMPTY = "database_not_empty"  # a restore would replace rows


class BackupError(Invalid):
    """A backup or restore cannot go on; ``str(err)`` says why in one or two sentences.

    An ``Invalid`` (the backup, its destination or the target database is not what it
    must be), and so a ``ValueError`` too: code catching ``ValueError`` around one must
    let it through. ``details["code"]``, when set, is one of the codes above.
    """


@dataclass(frozen=True)
class BlobEntry:
    """A blob a backup holds: its key, size and sha256 (of its bytes)."""

    key: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """What a backup holds; restore checks everything against it."""

    created_at: str
    quiver_version: str
    alembic_revision: str
    source: dict[str, str]
    tables: list[TableDump] = field(default_factory=list)
    blobs: int = 0
    blob_bytes: int = 0
    blob_list_sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise BackupError("This is not a Quiver backup (its manifest.json says otherwise).")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"This backup has format version {data.get('format_version')}; this Quiver "
                f"reads version {FORMAT_VERSION}: restore it with the Quiver that made it."
            )
        fields = {k: v for k, v in data.items() if k not in ("format", "format_version")}
        fields["tables"] = [TableDump(**table) for table in fields.get("tables", [])]
        return cls(**fields)


def write_manifest(root: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.to_json(), indent=2) + "\n"
    partial = root / (MANIFEST + ".partial")
    write_private(partial, text.encode())
    os.replace(partial, root / MANIFEST)


def read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    if not root.is_dir():
        raise BackupError(f"{root} is not a directory.")
    if not path.is_file():
        raise BackupError(
            f"{root} has no {MANIFEST}: it is not a backup, or a backup that never finished."
        )
    try:
        return Manifest.from_json(json.loads(path.read_text()))
    except BackupError:
        raise  # a ValueError too, but already says what is wrong
    except (ValueError, TypeError) as err:
        raise BackupError(f"{path} cannot be read: {err}") from None


def write_blob_list(root: Path, entries: Iterable[BlobEntry]) -> str:
    """Write ``blobs.jsonl``; its sha256."""
    lines = [json.dumps(asdict(entry), separators=(",", ":")) + "\n" for entry in entries]
    data = "".join(lines).encode()
    write_private(root / BLOB_LIST, data)
    return hashlib.sha256(data).hexdigest()


def read_blob_list(root: Path) -> list[BlobEntry]:
    with (root / BLOB_LIST).open("rb") as handle:
        return [BlobEntry(**json.loads(line)) for line in handle]


def blob_path(root: Path, key: str) -> Path:
    """Where the backup keeps blob ``key`` (keys never climb out of ``blobs/``)."""
    parts = PurePosixPath(key).parts
    if not parts or PurePosixPath(key).is_absolute() or ".." in parts or "." in parts:
        raise BackupError(f"The blob key {key!r} is not a valid key.")
    return root.joinpath("blobs", *parts)


async def save_blob(store: BlobStore, entry: BlobEntry, root: Path) -> None:
    """Copy blob ``entry.key`` from ``store`` into the backup, checking size and sha256.

    FileNotFoundError when the store does not have it.
    """
    target = blob_path(root, entry.key)
    private_dirs(target.parent)
    partial = target.with_name(target.name + ".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with open_private(partial) as handle:
            async for chunk in store.iter_bytes(entry.key):
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        _check(entry, size, digest.hexdigest(), "in the blob store")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def copy_checked(source: Path, target: Path, entry: BlobEntry) -> None:
    """Copy a blob of the backup to ``target``, checking size and sha256 on the way."""
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reader, open_private(target) as writer:
        while chunk := reader.read(CHUNK):
            writer.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    _check(entry, size, digest.hexdigest(), "in the backup")


def _check(entry: BlobEntry, size: int, sha256: str, where: str) -> None:
    if size != entry.size or sha256 != entry.sha256:
        raise BackupError(
            f"The blob {entry.key} {where} is damaged: {size} bytes with sha256 {sha256}, "
            f"but {entry.size} bytes with sha256 {entry.sha256} were recorded."
        )


async def in_parallel(
    items: Iterable[BlobEntry], work: Callable[[BlobEntry], Awaitable[None]]
) -> None:
    """``work(item)`` for every item, :data:`PARALLEL` at a time; the first error stops all."""
    queue = list(items)
    queue.reverse()

    async def worker() -> None:
        while queue:
            await work(queue.pop())

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(PARALLEL):
                group.create_task(worker())
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
