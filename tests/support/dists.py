"""Build wheels and sdists by hand: no build backend, fast and byte-for-byte deterministic.

Contracts:

* :func:`build_wheel` writes ``{escaped}-{version}-{tag}.whl`` (``escaped`` per the wheel spec,
  see :func:`escape_name`) holding a top-level package ``{escaped}/__init__.py`` and a
  ``{escaped}-{version}.dist-info`` with ``METADATA``, ``WHEEL`` and a correct ``RECORD``.
  pip and uv install it.
* :func:`build_sdist` writes ``{escaped}-{version}.tar.gz`` whose top directory
  ``{escaped}-{version}/`` holds ``PKG-INFO``, a ``pyproject.toml`` naming an in-tree PEP 517
  backend (``backend.py``, ``requires = []``) and the same package. pip and uv build and
  install it *with* build isolation and *without* network access, because the build
  environment needs nothing installed.
* The version is used verbatim in file names and metadata: pass it in normalized form
  (``1.0.post1``, not ``1.0-post1``) unless a test is about non-normalized versions.
* Same inputs give the same bytes (fixed timestamps, sorted entries, gzip mtime 0).

This module imports only the standard library, on purpose: its own source is embedded in
every sdist (as ``_quiver_dists.py``) and imported there by the in-tree backend, so the wheel
that pip builds from an sdist is made by exactly the code that :func:`build_wheel` uses.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import re
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from email.parser import HeaderParser
from pathlib import Path

__all__ = [
    "BACKEND_SOURCE",
    "build_sdist",
    "build_wheel",
    "escape_name",
    "metadata_text",
    "wheel_from_metadata",
]

#: Timestamp given to every zip entry (the earliest one the zip format can store).
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: Name under which this module's source is embedded in sdists.
_EMBEDDED_MODULE = "_quiver_dists"

#: The in-tree PEP 517 backend written into every sdist as ``backend.py``. It reads
#: ``PKG-INFO`` (used verbatim as the wheel's METADATA) and ``{escaped}/__init__.py`` from the
#: source tree and builds the wheel with this module's :func:`wheel_from_metadata`.
BACKEND_SOURCE = '''\
"""In-tree PEP 517 backend written by Quiver's tests/support/dists.py (standard library only)."""

from __future__ import annotations

import os
from pathlib import Path

import _quiver_dists as _core


def _tree() -> Path:
    return Path(os.getcwd())


def _metadata() -> str:
    return (_tree() / "PKG-INFO").read_text(encoding="utf-8")


def _module_code(metadata: str) -> str:
    name, _version = _core.name_and_version(metadata)
    path = _tree() / _core.escape_name(name) / "__init__.py"
    return path.read_text(encoding="utf-8")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata = _metadata()
    name, version = _core.name_and_version(metadata)
    dist_info = f"{_core.escape_name(name)}-{version}.dist-info"
    target = Path(metadata_directory) / dist_info
    target.mkdir(parents=True, exist_ok=True)
    (target / "METADATA").write_bytes(metadata.encode("utf-8"))
    (target / "WHEEL").write_bytes(_core.wheel_file_text("py3-none-any").encode("utf-8"))
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    metadata = _metadata()
    path = _core.wheel_from_metadata(
        Path(wheel_directory), metadata, module_code=_module_code(metadata)
    )
    return path.name


def build_sdist(sdist_directory, config_settings=None):
    metadata = _metadata()
    path = _core.sdist_from_metadata(
        Path(sdist_directory), metadata, module_code=_module_code(metadata)
    )
    return path.name
'''

_PYPROJECT_TOML = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""


def escape_name(name: str) -> str:
    """Return ``name`` escaped for wheel/sdist file names and the import package name.

    Runs of ``-``, ``_`` and ``.`` become one ``_`` and the result is lower-cased, as the
    binary distribution format specification asks (``Foo.Bar-baz`` -> ``foo_bar_baz``).
    """
    return re.sub(r"[-_.]+", "_", name).lower()


def metadata_text(
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    metadata_version: str = "2.4",
    summary: str = "test package",
    extra_metadata: str = "",
) -> str:
    """Return core metadata (``METADATA`` / ``PKG-INFO`` text), ending with one newline.

    Fields are written in this order: ``Metadata-Version``, ``Name`` (as given, not
    normalized), ``Version``, ``Summary``, ``Requires-Python`` (if given), one
    ``Requires-Dist`` per entry, then ``extra_metadata`` verbatim (header lines such as
    ``"Provides-Extra: cli\\n"``; a blank line followed by text makes that text the
    description body).
    """
    lines = [
        f"Metadata-Version: {metadata_version}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary}",
    ]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires_dist)
    text = "\n".join(lines) + "\n"
    extra = extra_metadata.strip("\n")
    if extra:
        text += extra + "\n"
    return text


def name_and_version(metadata: str) -> tuple[str, str]:
    """Return the ``Name`` and ``Version`` fields of core metadata text.

    Raises ``ValueError`` when either is missing.
    """
    headers = HeaderParser().parsestr(metadata)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise ValueError("core metadata needs both Name and Version")
    return str(name), str(version)


def wheel_file_text(tag: str) -> str:
    """Return the ``WHEEL`` file text for a (possibly compressed) tag like ``py2.py3-none-any``.

    A compressed tag set is expanded into one ``Tag:`` line per combination.
    """
    parts = tag.split("-")
    if len(parts) != 3:
        raise ValueError(f"wheel tag must be python-abi-platform, got {tag!r}")
    interpreters, abis, platforms = (part.split(".") for part in parts)
    lines = [
        "Wheel-Version: 1.0",
        "Generator: quiver-tests (tests/support/dists.py)",
        "Root-Is-Purelib: true",
    ]
    lines.extend(
        f"Tag: {i}-{a}-{p}" for i, a, p in itertools.product(interpreters, abis, platforms)
    )
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _default_module_code(version: str) -> str:
    return f'__version__ = "{version}"\n'


def wheel_from_metadata(
    out_dir: Path,
    metadata: str,
    *,
    module_code: str | None = None,
    tag: str = "py3-none-any",
) -> Path:
    """Write a wheel whose ``METADATA`` is ``metadata`` verbatim; return its path.

    Name and version come from the metadata. ``module_code`` (default
    ``__version__ = "{version}"``) becomes ``{escaped}/__init__.py``. ``out_dir`` is created
    if missing; an existing file of the same name is replaced.
    """
    name, version = name_and_version(metadata)
    escaped = escape_name(name)
    dist_info = f"{escaped}-{version}.dist-info"
    code = _default_module_code(version) if module_code is None else module_code
    files: dict[str, bytes] = {
        f"{escaped}/__init__.py": code.encode("utf-8"),
        f"{dist_info}/METADATA": metadata.encode("utf-8"),
        f"{dist_info}/WHEEL": wheel_file_text(tag).encode("utf-8"),
    }
    record_path = f"{dist_info}/RECORD"
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    record += f"{record_path},,\n"
    files[record_path] = record.encode("utf-8")

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{escaped}-{version}-{tag}.whl"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE_TIME)
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target


def _tar_add(archive: tarfile.TarFile, path: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(path)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        archive.addfile(info)
    else:
        info.mode = 0o644
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))


def _write_tar_gz(target: Path, top: str, files: Mapping[str, bytes]) -> None:
    directories = {top}
    for relative in files:
        parents = relative.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            directories.add(f"{top}/" + "/".join(parents[:depth]))
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for directory in sorted(directories):
            _tar_add(archive, directory, None)
        for relative in sorted(files):
            _tar_add(archive, f"{top}/{relative}", files[relative])
    target.write_bytes(buffer.getvalue())


def sdist_from_metadata(out_dir: Path, metadata: str, *, module_code: str | None = None) -> Path:
    """Write an sdist whose ``PKG-INFO`` is ``metadata`` verbatim; return its path.

    See the module docstring for the layout. ``out_dir`` is created if missing.
    """
    name, version = name_and_version(metadata)
    escaped = escape_name(name)
    code = _default_module_code(version) if module_code is None else module_code
    files = {
        "PKG-INFO": metadata.encode("utf-8"),
        "pyproject.toml": _PYPROJECT_TOML.encode("utf-8"),
        "backend.py": BACKEND_SOURCE.encode("utf-8"),
        f"{_EMBEDDED_MODULE}.py": Path(__file__).read_bytes(),
        f"{escaped}/__init__.py": code.encode("utf-8"),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    top = f"{escaped}-{version}"
    target = out_dir / f"{top}.tar.gz"
    _write_tar_gz(target, top, files)
    return target


def build_wheel(
    out_dir: Path,
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    metadata_version: str = "2.4",
    extra_metadata: str = "",
    module_code: str | None = None,
    summary: str = "test package",
    tag: str = "py3-none-any",
) -> Path:
    """Write ``{escaped}-{version}-{tag}.whl`` into ``out_dir`` (created if missing).

    The metadata is :func:`metadata_text` of the same arguments; ``module_code`` (default
    ``__version__ = "{version}"``) is the package's ``__init__.py``. Returns the file's path.
    """
    metadata = metadata_text(
        name,
        version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        metadata_version=metadata_version,
        summary=summary,
        extra_metadata=extra_metadata,
    )
    return wheel_from_metadata(out_dir, metadata, module_code=module_code, tag=tag)


def build_sdist(
    out_dir: Path,
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    metadata_version: str = "2.4",
    extra_metadata: str = "",
    module_code: str | None = None,
    summary: str = "test package",
) -> Path:
    """Write ``{escaped}-{version}.tar.gz`` into ``out_dir`` (created if missing).

    ``PKG-INFO`` is :func:`metadata_text` of the same arguments, and the wheel the in-tree
    backend builds from it carries that text as its ``METADATA`` (tag ``py3-none-any``).
    Returns the file's path.
    """
    metadata = metadata_text(
        name,
        version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        metadata_version=metadata_version,
        summary=summary,
        extra_metadata=extra_metadata,
    )
    return sdist_from_metadata(out_dir, metadata, module_code=module_code)
