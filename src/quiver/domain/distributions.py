"""Distribution filenames, and the rule that filename, core metadata and form agree.

Everything here works on strings; reading archives is the services' job
(``quiver.services.publish.archives``); reading core metadata is
``quiver.domain.metadata``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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

from quiver.domain.errors import Invalid
from quiver.domain.metadata import CoreMetadata
from quiver.domain.versions import MAX_VERSION_CHARS, pep440

Kind = Literal["bdist_wheel", "sdist"]
#: A filename is one path component of its blob key and, with ``.metadata`` (9 bytes)
#: appended, of its PEP 658 metadata's key: every filesystem caps a component at 255 bytes.
METADATA_SUFFIX = ".metadata"
FILENAME_MAX_BYTES = 255 - len(METADATA_SUFFIX)


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
    """Parse a wheel or sdist filename; Invalid with the reason for anything else.

    Refused besides what the wheel and sdist specifications refuse: more than
    ``FILENAME_MAX_BYTES`` bytes of UTF-8, anything that could be a path, whitespace,
    control characters, and any character that is not ASCII (names, versions and
    wheel tags all are; a build tag's free text must be too).
    """
    if not filename or len(filename.encode("utf-8", "surrogatepass")) > FILENAME_MAX_BYTES:
        raise Invalid(
            f"Filename must be 1-{FILENAME_MAX_BYTES} bytes long (UTF-8): a longer one "
            "would not fit the storage's path limits."
        )
    if "/" in filename or "\\" in filename or ".." in filename or filename.startswith("."):
        raise Invalid(f"Invalid filename {filename!r}: it must not contain a path.")
    if any(not ch.isprintable() or ch.isspace() for ch in filename):
        raise Invalid(f"Invalid filename {filename!r}: no whitespace or control characters.")
    if not filename.isascii():
        odd = next(ch for ch in filename if not ch.isascii())
        raise Invalid(
            f"Invalid filename {filename!r}: it must be ASCII, as names, versions and "
            f"wheel tags are ({odd!r} is not)."
        )
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return DistFilename(filename, "bdist_wheel", name, version)
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return DistFilename(filename, "sdist", name, version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as err:
        raise Invalid(f"Invalid distribution filename {filename!r}: {err}") from None
    raise Invalid(
        f"Invalid distribution filename {filename!r}: only wheels (.whl) and "
        "sdists (.tar.gz, .zip) are accepted."
    )


def parse_version(text: str) -> Version:
    """A PEP 440 version, or a Invalid naming the bad text."""
    version = pep440(text)
    if version is None:
        raise Invalid(f"Invalid version {text[:MAX_VERSION_CHARS]!r}: it is not a PEP 440 version.")
    return version


def check_agreement(
    dist: DistFilename, metadata: CoreMetadata, form_name: str | None, form_version: str | None
) -> None:
    """The filename, the core metadata and the upload form must name one release."""
    meta_name = canonicalize_name(metadata.name)
    if meta_name != dist.name:
        raise Invalid(
            f"Filename says package {dist.name!r} but the metadata says {metadata.name!r}."
        )
    if metadata.version != dist.version:
        raise Invalid(
            f"Filename says version {dist.version} but the metadata says {metadata.version}."
        )
    if form_name is not None and canonicalize_name(form_name) != meta_name:
        raise Invalid(
            f"The upload form names package {form_name!r} but the file is {metadata.name!r}."
        )
    if form_version is not None:
        version = parse_version(form_version)
        if canonicalize_version(version) != canonicalize_version(metadata.version):
            raise Invalid(
                f"The upload form says version {form_version} but the file is {metadata.version}."
            )
