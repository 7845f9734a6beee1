"""The bundle format of ``quiver bundle``: its manifest, writing a bundle, and checking one.

A bundle is an uncompressed tar (wheels are compressed already) holding, in this order:

* ``manifest.json``, first: the format and its version, the tool's version, when it was
  made, where from, the requirements, each target's pins, and every file (name, sha256, size,
  the targets needing it); ``omitted`` lists files left out because an earlier bundle
  (``--since``) had them.
* ``files/NAME`` for every file of the manifest, and nothing else.

Contracts:

* :meth:`Manifest.parse` takes hostile bytes: anything but a well-formed manifest of a
  known version, with safe file names (one path segment, a distribution's suffix), 64-hex
  sha256s and sizes, each name once, raises :class:`BadBundle` naming what is wrong.
* :func:`write_bundle` writes to a temporary name beside ``out`` and renames it when whole:
  there is never a half-written bundle under ``out``.
* :func:`check_bundle` reads the tar as a stream, once, and refuses a member that is not a
  regular file (links, devices, directories), an absolute path or one with ``..``, a
  member the manifest does not list (or listed twice), a size or sha256 other than the
  manifest's, a file missing, and a truncated or unreadable tar; each file is hashed as it
  streams (no file whole in memory) and, given ``into``, written there under its name.
  Every refusal is a :class:`BadBundle` (exit 1) naming the bad member.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from quiver.cli.client import ClientError, ConfigError
from quiver.digests import file_sha256

__all__ = [
    "FILES",
    "FORMAT",
    "MANIFEST",
    "VERSION",
    "BadBundle",
    "Entry",
    "Manifest",
    "check_bundle",
    "entries_of",
    "read_manifest",
    "write_bundle",
]

FORMAT = "quiver-bundle"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
MAX_MANIFEST = 64 * 1024 * 1024
CHUNK = 1024 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!-]{0,250}")
_SUFFIXES = (".whl", ".tar.gz", ".zip")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEXT = 1000  # longest requirement line, label, pin part kept from a manifest


class BadBundle(ClientError):
    """The bundle (or manifest) is damaged, truncated or unsafe: exit 1."""

    @property
    def exit_code(self) -> int:
        return 1


@dataclass(frozen=True)
class Entry:
    """One distribution file of a bundle."""

    name: str
    sha256: str
    size: int
    targets: tuple[str, ...] = ()

    def json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size,
                "targets": list(self.targets)}  # fmt: skip


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says; ``resolutions`` maps a target label to its pins."""

    tool: str
    created: str
    source: str
    requirements: tuple[str, ...]
    resolutions: Mapping[str, tuple[tuple[str, str], ...]]
    files: tuple[Entry, ...]
    omitted: tuple[Entry, ...] = ()
    since: str | None = None  # when the earlier bundle was made
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "version": VERSION,
            "tool": self.tool,
            "created": self.created,
            "source": self.source,
            "requirements": list(self.requirements),
            "targets": {
                label: [{"name": name, "version": version} for name, version in pins]
                for label, pins in self.resolutions.items()
            },
            "files": [entry.json() for entry in self.files],
            "omitted": [entry.json() for entry in self.omitted],
            "since": self.since,
        }
        return json.dumps(body, indent=2).encode() + b"\n"

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.files)

    @property
    def hashes(self) -> frozenset[str]:
        """Every sha256 the bundle holds or left out as already carried."""
        return frozenset(entry.sha256 for entry in (*self.files, *self.omitted))

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        """The manifest in ``data`` (BadBundle for anything else; see the module docstring)."""
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BadBundle(f"{MANIFEST} is not JSON.") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise BadBundle(f"{MANIFEST} is not a quiver bundle manifest.")
        if body.get("version") != VERSION:
            raise BadBundle(
                f"{MANIFEST} has format version {body.get('version')!r}; this quiver reads "
                f"version {VERSION}."
            )
        files = _entries(body.get("files"), "files")
        omitted = _entries(body.get("omitted", []), "omitted")
        names = [entry.name for entry in files]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise BadBundle(f"{MANIFEST} lists {twice[0]} twice.")
        since = body.get("since")
        return cls(
            tool=_text(body.get("tool"), "tool"),
            created=_text(body.get("created"), "created"),
            source=_text(body.get("source"), "source"),
            requirements=tuple(_texts(body.get("requirements"), "requirements")),
            resolutions=_resolutions(body.get("targets")),
            files=tuple(files),
            omitted=tuple(omitted),
            since=_text(since, "since") if since is not None else None,
        )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > _TEXT:
        raise BadBundle(f"{MANIFEST}: {what} is not a string of at most {_TEXT} characters.")
    return value


def _texts(value: object, what: str) -> list[str]:
    if not isinstance(value, list):
        raise BadBundle(f"{MANIFEST}: {what} is not a list.")
    return [_text(item, what) for item in value]


def _resolutions(value: object) -> dict[str, tuple[tuple[str, str], ...]]:
    if not isinstance(value, dict):
        raise BadBundle(f"{MANIFEST}: targets is not an object.")
    found = {}
    for label, pins in value.items():
        if not isinstance(pins, list) or not all(isinstance(pin, dict) for pin in pins):
            raise BadBundle(f"{MANIFEST}: the pins of target {label!r} are not a list.")
        found[_text(label, "a target")] = tuple(
            (_text(pin.get("name"), "a pin's name"), _text(pin.get("version"), "a version"))
            for pin in pins
        )
    return found


def safe_name(name: object) -> bool:
    """Whether ``name`` may be a bundle's file: one path segment, a distribution's suffix."""
    return (
        isinstance(name, str)
        and _NAME.fullmatch(name) is not None
        and ".." not in name
        and name.lower().endswith(_SUFFIXES)
    )


def _entries(value: object, what: str) -> list[Entry]:
    if not isinstance(value, list):
        raise BadBundle(f"{MANIFEST}: {what} is not a list.")
    found = []
    for item in value:
        if not isinstance(item, dict) or not safe_name(item.get("name")):
            shown = item.get("name") if isinstance(item, dict) else item
            raise BadBundle(f"{MANIFEST}: {str(shown)[:200]!r} is not a distribution's name.")
        name, sha256, size = item["name"], item.get("sha256"), item.get("size")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise BadBundle(f"{MANIFEST}: {name} has no valid sha256.")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BadBundle(f"{MANIFEST}: {name} has no valid size.")
        targets = tuple(_texts(item.get("targets", []), f"the targets of {name}"))
        found.append(Entry(name, sha256, size, targets))
    return found


# --- writing -----------------------------------------------------------------------------


def _info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    return info


def write_bundle(out: Path, manifest: Manifest, paths: Mapping[str, Path]) -> None:
    """Write ``manifest`` and each of its files (``paths[name]``) to the tar ``out``."""
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    now = time.time()
    try:
        with partial.open("wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = manifest.to_json()
                tar.addfile(_info(MANIFEST, len(data), now), io.BytesIO(data))
                for entry in manifest.files:
                    with paths[entry.name].open("rb") as handle:
                        tar.addfile(_info(FILES + entry.name, entry.size, now), handle)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# --- reading -----------------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise ConfigError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a bundle.") from None
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror}.") from None


def _manifest_member(tar: tarfile.TarFile, where: str) -> Manifest:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isreg():
        raise BadBundle(f"{where}: the first member is not {MANIFEST}.")
    if first.size > MAX_MANIFEST:
        raise BadBundle(f"{where}: {MANIFEST} is larger than {MAX_MANIFEST} bytes.")
    handle = tar.extractfile(first)
    assert handle is not None  # a regular file
    data = handle.read()
    if len(data) != first.size:
        raise BadBundle(f"{where}: {MANIFEST} is truncated.")
    return Manifest.parse(data)


def read_manifest(path: Path) -> Manifest:
    """The manifest of a bundle, or of a ``manifest.json`` file (BadBundle, ConfigError)."""
    with _open(path) as raw:
        start = raw.read(1)
        raw.seek(0)
        if start in (b"{", b" ", b"\n", b"\r", b"\t"):
            return Manifest.parse(raw.read(MAX_MANIFEST + 1))
        try:
            with tarfile.open(fileobj=raw, mode="r|") as tar:
                return _manifest_member(tar, str(path))
        except (tarfile.TarError, EOFError, OSError) as err:
            raise BadBundle(f"{path}: not a bundle nor a manifest ({err}).") from None


def check_bundle(
    path: Path,
    into: Path | None = None,
    *,
    on_file: Callable[[Entry], None] | None = None,
) -> Manifest:
    """Check every member of the bundle at ``path`` (see the module docstring); its manifest.

    ``on_file`` is called after each file is checked."""
    where = str(path)  # the member being read, for the message when the tar breaks
    with _open(path) as raw:
        try:
            with tarfile.open(fileobj=raw, mode="r|") as tar:
                manifest = _manifest_member(tar, where)
                expected = {entry.name: entry for entry in manifest.files}
                seen: set[str] = set()
                while (member := tar.next()) is not None:
                    entry = _member_entry(member, expected, seen)
                    where = member.name
                    _check_file(tar, member, entry, into)
                    seen.add(entry.name)
                    where = f"after {member.name}"
                    if on_file is not None:
                        on_file(entry)
        except (tarfile.TarError, EOFError) as err:
            raise BadBundle(f"{where}: the bundle is truncated or damaged ({err}).") from None
    missing = [entry.name for entry in manifest.files if entry.name not in seen]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise BadBundle(f"{FILES}{missing[0]}{more}: in the manifest, not in the bundle.")
    return manifest


def _member_entry(member: tarfile.TarInfo, expected: Mapping[str, Entry], seen: set[str]) -> Entry:
    """The manifest's entry for a member, or BadBundle saying why the member is refused."""
    name = member.name
    shown = repr(name[:300])
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or "\\" in name:
        raise BadBundle(f"{shown}: an unsafe path in the bundle.")
    if not member.isreg():
        kind = "a link" if member.issym() or member.islnk() else "not a regular file"
        raise BadBundle(f"{shown}: {kind}; a bundle holds regular files only.")
    filename = name.removeprefix(FILES)
    if not name.startswith(FILES) or filename not in expected:
        raise BadBundle(f"{shown}: not in the manifest.")
    if filename in seen:
        raise BadBundle(f"{shown}: in the bundle twice.")
    entry = expected[filename]
    if member.size != entry.size:
        raise BadBundle(f"{name}: {member.size} bytes, the manifest says {entry.size}.")
    return entry


def _check_file(
    tar: tarfile.TarFile, member: tarfile.TarInfo, entry: Entry, into: Path | None
) -> None:
    handle = tar.extractfile(member)
    assert handle is not None  # a regular file
    digest, size = hashlib.sha256(), 0
    out = (into / entry.name).open("xb") if into is not None else None
    try:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
    finally:
        if out is not None:
            out.close()
    if size != entry.size:
        raise BadBundle(f"{member.name}: truncated ({size} of {entry.size} bytes).")
    if digest.hexdigest() != entry.sha256:
        raise BadBundle(f"{member.name}: sha256 {digest.hexdigest()} is not the manifest's.")


def entries_of(paths: Sequence[tuple[Path, Sequence[str]]]) -> list[Entry]:
    """Entries for local files (sha256 and size read from disk), in name order."""
    found = [Entry(p.name, file_sha256(p), p.stat().st_size, tuple(t)) for p, t in paths]
    return sorted(found, key=lambda entry: entry.name)
