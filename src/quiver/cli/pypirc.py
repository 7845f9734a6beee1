"""The temporary ``.pypirc`` that ``quiver twine-authenticate`` writes.

Contracts:

* :func:`write_pypirc` makes a new private directory (``mkdtemp``, mode 0700) named
  ``quiver-twine-*`` under ``$RUNNER_TEMP`` (GitHub Actions), ``$AGENT_TEMPDIRECTORY`` (Azure
  Pipelines) or the system temporary directory, and writes ``.pypirc`` in it (mode 0600, created
  with that mode, so it is never readable by others): a ``[distutils]`` list of the sections and
  one section per repository with its upload URL, username and password.
* The file starts with :data:`MARKER`. :func:`remove_previous` deletes a file only when it is
  one of ours — named ``.pypirc``, in a ``quiver-twine-*`` directory, a regular file owned by
  this user and starting with the marker — and then its directory (if empty). Anything else is
  left alone, so a ``PYPIRC_PATH`` that points at a user's own file is never touched.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MARKER = "# Written by 'quiver twine-authenticate'; its next run deletes this file."
FILENAME = ".pypirc"
DIR_PREFIX = "quiver-twine-"


@dataclass(frozen=True)
class Repository:
    """One ``.pypirc`` section: twine's ``-r NAME``."""

    name: str
    url: str
    username: str
    password: str | None


def temp_base(environ: Mapping[str, str] | None = None) -> Path:
    """Where CI systems want temporary files, else the system temporary directory."""
    env = os.environ if environ is None else environ
    for variable in ("RUNNER_TEMP", "AGENT_TEMPDIRECTORY"):
        value = env.get(variable, "").strip()
        if value and Path(value).is_dir():
            return Path(value)
    return Path(tempfile.gettempdir())


def render_pypirc(repositories: Sequence[Repository]) -> str:
    """The file's text; raises ValueError for a value with a line break."""
    for repository in repositories:
        values = (repository.name, repository.url, repository.username, repository.password or "")
        if any("\n" in value or "\r" in value for value in values):
            raise ValueError(f"A value of repository {repository.name!r} has a line break.")
    lines = [MARKER, "[distutils]", "index-servers ="]
    lines += [f"    {repository.name}" for repository in repositories]
    for repository in repositories:
        lines += ["", f"[{repository.name}]", f"repository = {repository.url}"]
        lines.append(f"username = {repository.username}")
        if repository.password is not None:
            lines.append(f"password = {repository.password}")
    return "\n".join(lines) + "\n"


def write_pypirc(repositories: Sequence[Repository], base: Path | None = None) -> Path:
    """Write a fresh ``.pypirc`` in a new private directory; return the file's path."""
    text = render_pypirc(repositories)
    directory = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=base or temp_base()))
    path = directory / FILENAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def is_ours(path: Path) -> bool:
    """True when ``path`` is a ``.pypirc`` that :func:`write_pypirc` wrote."""
    if path.name != FILENAME or not path.parent.name.startswith(DIR_PREFIX):
        return False
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return False
        with path.open(encoding="utf-8") as handle:
            return handle.readline().rstrip("\n") == MARKER
    except (OSError, UnicodeDecodeError):
        return False


def remove_previous(value: str | None) -> Path | None:
    """Delete the file ``value`` (e.g. ``$PYPIRC_PATH``) names if it is ours; return it."""
    if not value or not value.strip():
        return None
    path = Path(value.strip())
    if not is_ours(path):
        return None
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty, or already gone: leave it
        path.parent.rmdir()
    return path
