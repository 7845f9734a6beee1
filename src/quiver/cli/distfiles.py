"""Which local files are distributions to publish, and what their names say.

:func:`collect` turns paths, directories and patterns the shell did not expand into
:class:`Distribution` s, each once, or raises ``ConfigError`` (exit 2) for anything wrong with
them. Only the file name is looked at: whether the file really is a distribution is the
server's to decide.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from quiver.cli.client import ConfigError

DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class Distribution:
    """A local file to publish: its path (as the caller named it) and size in bytes."""

    path: Path
    size: int

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def filetype(self) -> Literal["bdist_wheel", "sdist"]:
        return "bdist_wheel" if self.filename.lower().endswith(".whl") else "sdist"

    @property
    def pyversion(self) -> str | None:
        """``source`` for an sdist, the wheel's python tag (``py3``), None if unreadable."""
        if self.filetype == "sdist":
            return "source"
        parts = self.filename[: -len(".whl")].split("-")
        return parts[-3] if len(parts) in (5, 6) else None


def is_distribution(filename: str) -> bool:
    """Whether a name looks like a distribution (.whl, .tar.gz, .zip, any case)."""
    return filename.lower().endswith(DIST_SUFFIXES)


def collect(paths: Iterable[str | os.PathLike[str]]) -> list[Distribution]:
    """The distribution files ``paths`` name, each once (by real path), in argument order.

    * a file is taken if :func:`is_distribution`, refused otherwise;
    * a directory gives every distribution file directly in it, by name (others ignored);
    * a path that does not exist but holds ``*``, ``?`` or ``[`` is a pattern (``**``
      recursive): its matches count as files and directories would, except that matched
      files that are not distributions are ignored.

    ConfigError for a path that matches nothing, a directory or pattern without any
    distribution, a file that is not one, two different files of one name, or no path.
    """
    found: dict[str, Distribution] = {}
    for argument in paths:
        for path in _expand(os.fspath(argument)):
            found.setdefault(os.path.realpath(path), Distribution(path, path.stat().st_size))
    if not found:
        raise ConfigError("No files to publish.")
    _refuse_same_names(found.values())
    return list(found.values())


def _expand(argument: str) -> list[Path]:
    """The distribution files one argument names (see :func:`collect`)."""
    path = Path(os.path.expanduser(argument))
    if path.is_file():
        if not is_distribution(path.name):
            raise ConfigError(f"{argument} is not a distribution file (.whl, .tar.gz or .zip).")
        return [path]
    if path.is_dir():
        return _nonempty(_in_directory(path), f"Directory {argument} holds no distribution file.")
    if GLOB_CHARACTERS & set(argument):
        matches = [Path(match) for match in sorted(glob.glob(str(path), recursive=True))]
        found = [
            file
            for match in matches
            for file in (_in_directory(match) if match.is_dir() else [match])
            if file.is_file() and is_distribution(file.name)
        ]
        return _nonempty(found, f"{argument} matches no distribution file.")
    raise ConfigError(f"No such file or directory: {argument}")


def _in_directory(directory: Path) -> list[Path]:
    """The distribution files directly in ``directory``, sorted by name."""
    try:
        entries = sorted(directory.iterdir())
    except OSError as err:
        raise ConfigError(f"Cannot read directory {directory}: {err.strerror}.") from None
    return [entry for entry in entries if is_distribution(entry.name) and entry.is_file()]


def _nonempty(paths: list[Path], message: str) -> list[Path]:
    if not paths:
        raise ConfigError(message)
    return paths


def _refuse_same_names(files: Iterable[Distribution]) -> None:
    """ConfigError when two different files share a name (a feed holds one of each name)."""
    seen: dict[str, Path] = {}
    for file in files:
        first = seen.setdefault(file.filename.casefold(), file.path)
        if first != file.path:
            raise ConfigError(
                f"Two different files are named {file.filename}: {first} and {file.path}."
            )


def name_and_version(filename: str) -> tuple[str, str] | None:
    """Package name and version from a wheel or sdist filename, None if it cannot be parsed."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(name), str(version)
