"""Core metadata (METADATA / PKG-INFO) read the way installers read it, not the way a linter does.

A feed must hold every file the public index accepted, and a decade of build tools wrote
metadata that bends the spec: ``License-File`` under Metadata-Version 2.1 (setuptools),
``License-Expression`` under 2.3 (hatchling), ``Classifier`` under 1.0, the never-standard
Metadata-Version 2.0 (old bdist_wheel), unknown fields, requirement lines packaging cannot
parse, long descriptions that are not UTF-8. Only what an installer or the server depends on
refuses a file (see :func:`read_core_metadata`); every other departure from the spec is kept
as written and reported as a warning.

What the index shows of fields that do not parse (docs/guide/metadata.md): a ``Requires-Python``
that is not a valid specifier set is left out of index pages, as if the file had none (pip
ignores an invalid one the same way); a ``Requires-Dist`` line that does not parse is left out
of the parsed list the REST API shows. The ``.metadata`` file (PEP 658) is always the file's
own bytes, unchanged, as the public index serves it.

A value longer than ``MAX_CHECKED_CHARS`` is not handed to packaging's parsers, whose time
grows faster than the text (a 100 KB ``Description-Content-Type`` of semicolons took
minutes, a 100 KB requirement most of a second): it is kept as written, named in a warning,
and treated like a value that does not parse. Real values are a few hundred characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from packaging.metadata import (
    InvalidMetadata,
    Metadata,
    RawMetadata,
    parse_email,
)
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from quiver.domain.errors import Invalid
from quiver.domain.versions import MAX_VERSION_CHARS, pep440

# What packaging validates against; 2.0 was never a standard version but bdist_wheel wrote it.
KNOWN_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
MAX_WARNINGS = 20
WARNING_MAX_CHARS = 300
SUMMARY_MAX_CHARS = 512
_VERSION_SHAPE = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}")
MAX_CHECKED_CHARS = 4096
# fields read in linear time, so never left unchecked for their length
_READ_WHOLE = frozenset({"metadata_version", "name", "version", "summary", "description"})


@dataclass(frozen=True)
class CoreMetadata:
    """The facts of a distribution's core metadata that Quiver uses, and what bent the spec.

    ``name`` and ``version`` are as written (the version parsed, PEP 440);
    ``requires_python`` is None unless the field parses as a specifier set;
    ``requires_dist`` holds the lines that parse; ``warnings`` one sentence each.
    """

    metadata_version: str | None
    name: str
    version: Version
    summary: str | None
    requires_python: str | None
    requires_dist: tuple[str, ...]
    warnings: tuple[str, ...]


def read_core_metadata(raw: bytes) -> CoreMetadata:
    """Read core metadata leniently; Invalid only for what no installer could use.

    Refused: no ``Name`` or ``Version`` (or either unreadable), a version that is not
    PEP 440, a Metadata-Version that is not MAJOR.MINOR, or of a major version other than
    1 or 2 (the spec tells consumers to refuse those). Everything else becomes a warning.
    """
    fields, unparsed = parse_email(raw)
    name = _required(fields, unparsed, "name", "Name")
    version = _parsed_version(_required(fields, unparsed, "version", "Version"))
    declared = fields.get("metadata_version")
    warnings = _Warnings()
    validate_as = _validation_version(declared, warnings)
    checkable = _checkable(fields, warnings)
    _spec_problems(checkable, validate_as, warnings)
    _unparsed_problems(unparsed, warnings)
    requires_python = index_requires_python(checkable.get("requires_python"))
    summary = _storable_summary(fields.get("summary"), warnings)
    return CoreMetadata(
        metadata_version=declared,
        name=name,
        version=version,
        summary=summary[:SUMMARY_MAX_CHARS] if summary else None,
        requires_python=requires_python,
        requires_dist=_parsed_requirements(checkable.get("requires_dist", [])),
        warnings=warnings.collected(),
    )


def index_requires_python(text: str | None) -> str | None:
    """``text`` as index pages show it: the specifier set as written, or None if it is not one.

    An invalid ``Requires-Python`` is left out rather than handed to installers, which
    either ignore it (pip) or refuse the whole page over it.
    """
    if text is None or not text.strip() or len(text) > MAX_CHECKED_CHARS:
        return None
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return None
    return text.strip()


def _required(fields: RawMetadata, unparsed: dict[str, list[str]], key: str, label: str) -> str:
    value = fields.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if key in unparsed:
        raise Invalid(
            f"Invalid metadata: {label} cannot be read (it is repeated or not UTF-8), "
            "and installers need it."
        )
    raise Invalid(f"Invalid metadata: {label} is missing, and installers need it.")


def _storable_summary(summary: str | None, warnings: _Warnings) -> str | None:
    """The summary as stored and shown: NUL (which PostgreSQL cannot store) becomes U+FFFD.

    The ``.metadata`` file keeps the original bytes; this is only the copy in the database.
    """
    if not summary or "\x00" not in summary:
        return summary
    warnings.add("Summary holds NUL characters; it is shown with U+FFFD in their place.")
    return summary.replace("\x00", "\ufffd")


def _parsed_version(text: str) -> Version:
    version = pep440(text)
    if version is None:
        raise Invalid(
            f"Invalid metadata: Version {text[:MAX_VERSION_CHARS]!r} is not a PEP 440 version "
            f"of at most {MAX_VERSION_CHARS} characters, so installers cannot order or compare it."
        )
    return version


def _validation_version(declared: str | None, warnings: _Warnings) -> str:
    """The Metadata-Version whose rules the other fields are checked against."""
    newest = KNOWN_VERSIONS[-1]
    if declared is None:
        warnings.add(f"Metadata-Version is missing; the fields were checked as {newest}.")
        return newest
    if declared in KNOWN_VERSIONS:
        return declared
    if not _VERSION_SHAPE.fullmatch(declared):
        raise Invalid(f"Invalid Metadata-Version {declared!r}: it must be MAJOR.MINOR, like 2.1.")
    major, _, minor = declared.partition(".")
    if major not in ("1", "2"):
        raise Invalid(
            f"Unsupported Metadata-Version {declared!r}: installers must refuse a major "
            "version they do not know."
        )
    if declared == "2.0":
        warnings.add(
            "Metadata-Version 2.0 was never a standard version (old bdist_wheel wrote it); "
            "the fields were checked as 2.1."
        )
        return "2.1"
    if major == "2" and int(minor) > int(newest.partition(".")[2]):
        # A newer minor version: the spec asks consumers to read it with what they know.
        warnings.add(
            f"Metadata-Version {declared} is newer than this server knows; "
            f"the fields were checked as {newest}."
        )
        return newest
    warnings.add(f"Metadata-Version {declared!r} is not a known version.")
    return newest


def _spec_problems(fields: RawMetadata, validate_as: str, warnings: _Warnings) -> None:
    """Every rule of the core metadata spec ``fields`` break, checked as ``validate_as``."""
    checked: RawMetadata = {**fields, "metadata_version": validate_as}
    try:
        Metadata.from_raw(checked, validate=True)
    except ExceptionGroup as group:
        for problem in _flatten(group):
            warnings.add(_describe(problem))
    except RecursionError:  # markers nested hundreds of parentheses deep
        warnings.add("A requirement's markers nest too deeply to check; kept as written.")


def _checkable(fields: RawMetadata, warnings: _Warnings) -> RawMetadata:
    """``fields`` without the values too long to check (see the module docs), each warned of."""

    def fits(key: str, text: str) -> bool:
        if len(text) <= MAX_CHECKED_CHARS or key in _READ_WHOLE:
            return True
        warnings.add(
            f"{_header(key)}: a value of {len(text)} characters is too long to check "
            f"(at most {MAX_CHECKED_CHARS}); it is kept as written."
        )
        return False

    kept: dict[str, object] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            if fits(key, value):
                kept[key] = value
        elif isinstance(value, list):
            kept[key] = [item for item in value if fits(key, item)]
        elif isinstance(value, dict):  # project_urls
            kept[key] = {k: v for k, v in value.items() if fits(key, k) and fits(key, v)}
        else:
            kept[key] = value
    return cast(RawMetadata, kept)


def _header(field: str) -> str:
    """``requires_dist`` → ``Requires-Dist``; ``download_url`` → ``Download-URL``."""
    parts = field.replace("_", "-").split("-")
    return "-".join("URL" if part == "url" else part.capitalize() for part in parts)


def _flatten(group: BaseExceptionGroup[Exception]) -> list[Exception]:
    found: list[Exception] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found.extend(_flatten(exc))
        else:
            found.append(exc)
    return found


def _describe(problem: Exception) -> str:
    """``License-File introduced in ...`` / ``Requires-Dist: invalid requirement ...``."""
    message = str(problem)
    if not isinstance(problem, InvalidMetadata):
        return message
    header = _header(problem.field)
    if message.startswith(problem.field):
        return header + message[len(problem.field) :]
    return f"{header}: {message}"


def _unparsed_problems(unparsed: dict[str, list[str]], warnings: _Warnings) -> None:
    for key in sorted(unparsed):
        if key == "description":
            warnings.add(
                "The long description is not UTF-8 text or is given twice; it is kept as written."
            )
        elif key in _KNOWN_EMAIL_FIELDS:
            warnings.add(f"{key}: repeated, not UTF-8, or malformed; kept as written.")
        else:
            warnings.add(f"Unknown field {key!r}; kept as written.")


def _parsed_requirements(lines: list[str]) -> tuple[str, ...]:
    kept = []
    for line in lines:
        try:
            Requirement(line)
        except (InvalidRequirement, RecursionError):
            continue
        kept.append(line)
    return tuple(kept)


class _Warnings:
    """At most MAX_WARNINGS distinct sentences, each cut to WARNING_MAX_CHARS (hostile input)."""

    def __init__(self) -> None:
        self._items: dict[str, None] = {}
        self._dropped = 0

    def add(self, sentence: str) -> None:
        line = " ".join(sentence.split())
        if len(line) > WARNING_MAX_CHARS:
            line = line[: WARNING_MAX_CHARS - 1] + "…"
        if line in self._items:
            return
        if len(self._items) >= MAX_WARNINGS:
            self._dropped += 1
            return
        self._items[line] = None

    def collected(self) -> tuple[str, ...]:
        items = list(self._items)
        if self._dropped:
            items.append(f"… and {self._dropped} more problems.")
        return tuple(items)


# Lower-case email header names packaging knows (anything else is an unknown field).
_KNOWN_EMAIL_FIELDS = frozenset(
    {
        "metadata-version",
        "name",
        "version",
        "dynamic",
        "platform",
        "supported-platform",
        "summary",
        "description",
        "description-content-type",
        "keywords",
        "home-page",
        "download-url",
        "author",
        "author-email",
        "maintainer",
        "maintainer-email",
        "license",
        "license-expression",
        "license-file",
        "classifier",
        "requires-dist",
        "requires-python",
        "requires-external",
        "project-url",
        "provides-extra",
        "provides-dist",
        "obsoletes-dist",
        "requires",
        "provides",
        "obsoletes",
        "import-name",
        "import-namespace",
    }
)
