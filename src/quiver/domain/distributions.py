"""Distribution filenames and core metadata: parsing and agreement rules.

Everything here works on strings and bytes; reading archives is the services'
job (``quiver.services.packages.archives``).
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from typing import Literal

from packaging.metadata import InvalidMetadata, Metadata
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from quiver.domain.errors import DomainError

Kind = Literal["bdist_wheel", "sdist"]
FILENAME_MAX = 255
_KNOWN_METADATA = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6")


@dataclass(frozen=True)
class DistFilename:
    """What a distribution's filename says about it."""

    filename: str
    kind: Kind
    name: NormalizedName
    version: Version

    @property
    def is_wheel(self) -> bool:
        return self.kind == "bdist_wheel"


def parse_filename(filename: str) -> DistFilename:
    """Parse a wheel or sdist filename, refusing anything that could be a path."""
    if not filename or len(filename) > FILENAME_MAX:
        raise DomainError(f"Filename must be 1-{FILENAME_MAX} characters.")
    if "/" in filename or "\\" in filename or ".." in filename or filename.startswith("."):
        raise DomainError(f"Invalid filename {filename!r}: it must not contain a path.")
    if any(not ch.isprintable() or ch.isspace() for ch in filename):
        raise DomainError(f"Invalid filename {filename!r}: no whitespace or control characters.")
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return DistFilename(filename, "bdist_wheel", name, version)
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return DistFilename(filename, "sdist", name, version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as err:
        raise DomainError(f"Invalid distribution filename {filename!r}: {err}") from None
    raise DomainError(
        f"Invalid distribution filename {filename!r}: only wheels (.whl) and "
        "sdists (.tar.gz, .zip) are accepted."
    )


def parse_metadata(raw: bytes) -> Metadata:
    """Parse and validate core metadata (METADATA / PKG-INFO) of any known version.

    A newer 2.x Metadata-Version than ``packaging`` knows is read with the newest
    rules it has, as the core metadata spec asks of consumers for minor bumps.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError("Invalid metadata: it is not UTF-8 text.") from None
    declared = _declared_metadata_version(text)
    if declared is None:
        raise DomainError("Invalid metadata: Metadata-Version is missing.")
    if declared not in _KNOWN_METADATA:
        major = declared.split(".", 1)[0]
        if major != "2":
            raise DomainError(f"Unsupported Metadata-Version {declared!r}.")
        text = text.replace(
            f"Metadata-Version: {declared}", f"Metadata-Version: {_KNOWN_METADATA[-1]}", 1
        )
    try:
        return Metadata.from_email(text, validate=True)
    except ExceptionGroup as group:
        raise DomainError(f"Invalid metadata: {_first_message(group)}") from None
    except (InvalidMetadata, ValueError) as err:
        raise DomainError(f"Invalid metadata: {err}") from None


def _declared_metadata_version(text: str) -> str | None:
    parsed = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text)
    value = parsed.get("Metadata-Version")
    return str(value).strip() if value is not None else None


def _first_message(group: BaseExceptionGroup[Exception]) -> str:
    first = group.exceptions[0]
    if isinstance(first, BaseExceptionGroup):
        return _first_message(first)
    return str(first)


def parse_version(text: str) -> Version:
    """A PEP 440 version, or a DomainError naming the bad text."""
    try:
        return Version(text)
    except InvalidVersion:
        raise DomainError(f"Invalid version {text!r}: it is not a PEP 440 version.") from None


def check_agreement(
    dist: DistFilename, metadata: Metadata, form_name: str | None, form_version: str | None
) -> None:
    """The filename, the core metadata and the upload form must name one release."""
    meta_name = canonicalize_name(metadata.name)
    if meta_name != dist.name:
        raise DomainError(
            f"Filename says package {dist.name!r} but the metadata says {metadata.name!r}."
        )
    if metadata.version != dist.version:
        raise DomainError(
            f"Filename says version {dist.version} but the metadata says {metadata.version}."
        )
    if form_name is not None and canonicalize_name(form_name) != meta_name:
        raise DomainError(
            f"The upload form names package {form_name!r} but the file is {metadata.name!r}."
        )
    if form_version is not None:
        version = parse_version(form_version)
        if canonicalize_version(version) != canonicalize_version(metadata.version):
            raise DomainError(
                f"The upload form says version {form_version} but the file is {metadata.version}."
            )
