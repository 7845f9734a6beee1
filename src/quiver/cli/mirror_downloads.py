"""Downloading the files of a ``quiver mirror`` plan into its cache, checked and resumable.

Contracts: :func:`download` fetches each item into ``cache/files``, ``jobs`` at a time,
writing ``NAME.part``, checking its sha256 (and size) against the index, then renaming it, so
a file in the cache is whole and right. A file already there with the right hash is not
fetched again (a killed run resumes). One :class:`Fetched` per item, in order; failures are
reasons, not exceptions. Ctrl-C stops the transfers and is raised again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from quiver.cli.mirror_sources import Source, SourceFile
from quiver.digests import file_sha256


class Item(Protocol):
    """What is downloaded: a planned file (``quiver.cli.mirror.Item``)."""

    @property
    def file(self) -> SourceFile: ...


__all__ = [
    "DownloadEvent",
    "DownloadFinished",
    "DownloadStarted",
    "Fetched",
    "Received",
    "download",
]

CHUNK = 256 * 1024


@dataclass(frozen=True)
class Fetched:
    """One download's end: ``path`` of the checked file in the cache, or why there is none."""

    item: Item
    path: Path | None
    reason: str = ""
    reused: bool = False


@dataclass(frozen=True)
class DownloadStarted:
    item: Item


@dataclass(frozen=True)
class Received:
    item: Item
    received: int


@dataclass(frozen=True)
class DownloadFinished:
    fetched: Fetched


DownloadEvent = DownloadStarted | Received | DownloadFinished


class _Mismatch(Exception):
    pass


@dataclass
class _Downloads:
    source: Source
    directory: Path
    on_progress: Callable[[DownloadEvent], None] | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def emit(self, event: DownloadEvent) -> None:
        if self.on_progress is not None:
            with self.lock:
                self.on_progress(event)


def download(
    items: Sequence[Item],
    source: Source,
    cache: Path,
    *,
    jobs: int = 4,
    on_progress: Callable[[DownloadEvent], None] | None = None,
) -> list[Fetched]:
    """Fetch ``items`` into ``cache/files`` (see the module docstring), in order given."""
    directory = cache / "files"
    directory.mkdir(parents=True, exist_ok=True)
    run = _Downloads(source, directory, on_progress)
    with ThreadPoolExecutor(max(1, min(jobs, len(items) or 1))) as pool:
        futures = [pool.submit(_fetch, run, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            run.stop.set()
            for future in futures:
                future.cancel()
            raise


def _fetch(run: _Downloads, item: Item) -> Fetched:
    run.emit(DownloadStarted(item))
    target = run.directory / item.file.filename
    if target.is_file() and _good(target, item.file):
        fetched = Fetched(item, target, reused=True)
    else:
        try:
            _stream(run, item, target)
            fetched = Fetched(item, target)
        except _Mismatch as err:
            fetched = Fetched(item, None, str(err))
        except httpx.HTTPError as err:
            reason = f"Cannot download {item.file.filename}: {str(err) or type(err).__name__}"
            fetched = Fetched(item, None, reason)
        except OSError as err:
            fetched = Fetched(item, None, f"Cannot write {target}: {err.strerror}.")
    run.emit(DownloadFinished(fetched))
    return fetched


def _good(path: Path, file: SourceFile) -> bool:
    """A cached file is good when its sha256 is the index's (or the index gave none)."""
    return file.sha256 is None or file_sha256(path) == file.sha256.lower()


def _stream(run: _Downloads, item: Item, target: Path) -> None:
    """Download to ``NAME.part``, check it, rename it into place."""
    file = item.file
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    received = 0
    auth = run.source.auth_for(file.url)
    with (
        run.source.http.stream("GET", file.url, auth=auth) as response,
        partial.open("wb") as out,
    ):
        if response.status_code != 200:
            raise _Mismatch(f"{file.filename}: the index answered {response.status_code}.")
        for chunk in response.iter_bytes(CHUNK):
            if run.stop.is_set():
                raise _Mismatch("Interrupted.")
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            run.emit(Received(item, received))
    if file.sha256 is not None and digest.hexdigest() != file.sha256.lower():
        partial.unlink(missing_ok=True)
        raise _Mismatch(f"{file.filename}: sha256 {digest.hexdigest()} is not the index's.")
    if file.size is not None and received != file.size:
        partial.unlink(missing_ok=True)
        raise _Mismatch(f"{file.filename}: {received} bytes, the index says {file.size}.")
    os.replace(partial, target)
