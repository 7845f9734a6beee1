"""Files Quiver writes are for its own user only: directories 0700, files 0600.

The data directory holds password hashes and token digests (the database), the form
key and every package. The process umask is not relied on (022, the usual one, leaves
new files readable by everyone): directories and files are created with these modes
explicitly, and ``make_private`` narrows what an older Quiver (or a copy) left open.
Nothing here imports the rest of Quiver, so the lowest layers (blobs, db) may use it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600
OPEN_BITS = 0o077  # group and other


def private_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, each 0700; existing ones are left as they are.

    ``Path.mkdir(parents=True)`` gives the parents the umask's mode, hence one level at a time.
    """
    missing: list[Path] = []
    current = path
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another writer
            directory.mkdir(mode=DIR_MODE)


def open_private(path: Path) -> BinaryIO:
    """``path`` opened to write from the start, created 0600 (an existing one made 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600)."""
    with open_private(path) as handle:
        handle.write(data)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (or its directory does not).

    For files another library creates with its own mode, such as SQLite's database:
    it then opens the file made here, and gives its -wal and -shm files its mode.
    """
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def narrow(path: Path) -> bool:
    """Take the group and other bits off ``path`` itself; whether it had any.

    Symbolic links are left alone; OSError when the mode cannot be changed.
    """
    status = os.lstat(path)
    mode = stat.S_IMODE(status.st_mode)
    if stat.S_ISLNK(status.st_mode) or not mode & OPEN_BITS:
        return False
    os.chmod(path, mode & ~OPEN_BITS)
    return True


def make_private(root: Path) -> tuple[list[Path], list[Path]]:
    """:func:`narrow` ``root`` and everything below it (links are not followed).

    Returns the paths changed and those that could not be (another owner, say);
    a missing ``root`` or a path removed meanwhile is no error.
    """
    changed: list[Path] = []
    failed: list[Path] = []
    for path in _tree(root):
        try:
            if narrow(path):
                changed.append(path)
        except FileNotFoundError:
            continue
        except OSError:
            failed.append(path)
    return changed, failed


def _tree(root: Path) -> Iterator[Path]:
    """``root`` and, when it is a real directory, everything below it (links not followed)."""
    if not os.path.lexists(root):
        return
    yield root
    if root.is_symlink() or not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            yield Path(folder, name)
