"""The directory of a server's temporary files (``data/tmp``): uploads being received.

A process killed mid-upload (SIGKILL, power loss) leaves its partial file there: never read,
never listed, but taking space. So every process that writes there holds a lock file beside
it while it runs (``tmp.locks/process-*.lock``, locked with ``flock``, which the kernel
releases however the process ends). A temporary file is *stale* when no live process holds a lock
there (whatever its age), or when it is older than the grace period: an upload in flight
writes to its file all the time, and is checked and stored within moments of its last byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quiver.privatefs import private_dirs

log = logging.getLogger("quiver")
LOCK_PREFIX = "process-"
LOCK_SUFFIX = ".lock"


def lock_dir(directory: Path) -> Path:
    """Where the processes using ``directory`` keep their lock files: ``<directory>.locks``."""
    return directory.with_name(directory.name + ".locks")


@dataclass(frozen=True)
class TempFile:
    """A file in the temporary directory, other than a lock file."""

    path: Path
    size: int
    modified: datetime


class TmpClaim:
    """This process's lock file in a temporary directory; ``release`` when done."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)  # closing drops the lock
        self._fd = None


def claim(directory: Path) -> TmpClaim:
    """Create and lock this process's lock file for ``directory``."""
    private_dirs(directory)
    locks = lock_dir(directory)
    private_dirs(locks)
    while True:
        path = locks / f"{LOCK_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{LOCK_SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Another process may have taken it for a dead one's and removed it before we locked
        # it: then the name no longer leads to our file, and we start again.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return TmpClaim(path, fd)
        os.close(fd)


@contextlib.contextmanager
def claimed(directory: Path) -> Iterator[TmpClaim]:
    """:func:`claim` for the duration of a ``with`` block."""
    held = claim(directory)
    try:
        yield held
    finally:
        held.release()


def others_alive(directory: Path, own: TmpClaim | None = None) -> bool:
    """Whether a live process other than ``own``'s holds a lock file for ``directory``.

    Lock files of processes that died are removed on the way.
    """
    alive = False
    for path in sorted(lock_dir(directory).glob(f"{LOCK_PREFIX}*{LOCK_SUFFIX}")):
        if own is not None and path == own.path:
            continue
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            alive = True
        else:
            path.unlink(missing_ok=True)  # its owner died: nobody holds it
        finally:
            os.close(fd)
    return alive


def temp_files(directory: Path) -> list[TempFile]:
    """Every file in ``directory``, oldest first."""
    found = []
    if not directory.is_dir():
        return []
    for path in directory.iterdir():
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(status.st_mode):
            modified = datetime.fromtimestamp(status.st_mtime, UTC)
            found.append(TempFile(path, status.st_size, modified))
    return sorted(found, key=lambda temp: temp.modified)


def stale_temp_files(
    directory: Path, grace: timedelta, own: TmpClaim | None = None
) -> tuple[list[TempFile], list[TempFile]]:
    """The temporary files that are stale, and those that may belong to an upload in flight.

    The files are listed before the locks are looked at, so a process that starts meanwhile
    cannot have written any file deemed stale.
    """
    files = temp_files(directory)
    if not others_alive(directory, own):
        return files, []
    cutoff = datetime.now(UTC) - grace
    return [f for f in files if f.modified < cutoff], [f for f in files if f.modified >= cutoff]


def remove(files: list[TempFile]) -> int:
    """Remove ``files``; the number of bytes freed."""
    freed = 0
    for temp in files:
        with contextlib.suppress(FileNotFoundError):
            temp.path.unlink()
            freed += temp.size
    return freed


def claim_and_sweep(directory: Path, grace: timedelta) -> tuple[TmpClaim, list[TempFile]]:
    """At a server's start: take a lock file in ``directory``, remove the stale files there."""
    held = claim(directory)
    stale, _young = stale_temp_files(directory, grace, held)
    remove(stale)
    return held, stale


async def sweep_at_start(directory: Path, grace_seconds: float) -> TmpClaim:
    """:func:`claim_and_sweep` off the event loop, saying what it removed."""
    held, removed = await asyncio.to_thread(
        claim_and_sweep, directory, timedelta(seconds=grace_seconds)
    )
    if removed:
        size = sum(temp.size for temp in removed)
        log.warning(
            "Removed %d temporary file(s) (%d bytes) of uploads that never finished from %s.",
            len(removed),
            size,
            directory,
        )
    return held
