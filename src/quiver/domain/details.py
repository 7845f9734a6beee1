"""What a package page shows of a version: its core metadata as written, for people.

Read leniently (as ``domain.metadata`` reads for publishing): a field that does not parse is
shown as written or left out, never an error. The values are the package author's, so they
are hostile input to whoever renders them: ``description`` is the raw long description and
must be sanitized by a renderer (the JSON API returns it as text), URLs are returned only
when they are http(s) (a ``javascript:`` URL in Project-URL must not become a link).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from quiver.domain.errors import Invalid

#: The longest list of classifiers, requirements or URLs shown (real packages: tens).
MAX_ITEMS = 500
# packaging writes a parsed marker back as ``extra == "name"`` (double quotes, one space)
_EXTRA = re.compile(r'\bextra == "([^"]+)"')


@dataclass(frozen=True)
class Dependency:
    """One ``Requires-Dist`` line: the name it needs (normalized for links, when it parses),
    the line as written, and the extra it belongs to (``None``: always needed)."""

    requirement: str
    name: str | None
    extra: str | None


@dataclass(frozen=True)
class ProjectDetails:
    """The parts of a version's core metadata a person reads."""

    summary: str | None
    description: str | None
    description_content_type: str | None
    license: str | None
    license_expression: str | None
    requires_python: str | None
    dependencies: tuple[Dependency, ...]
    provides_extra: tuple[str, ...]
    project_urls: tuple[tuple[str, str], ...]
    author: str | None
    author_email: str | None
    maintainer: str | None
    maintainer_email: str | None
    keywords: tuple[str, ...]
    classifiers: tuple[str, ...]


def describe(raw: bytes) -> ProjectDetails:
    """The details of core metadata ``raw`` (METADATA or PKG-INFO bytes).

    ``Invalid`` only for bytes that are not metadata at all (no Name or no Version).
    """
    fields, unparsed = parse_email(raw)
    if not fields.get("name") or not fields.get("version"):
        raise Invalid("These bytes are not core metadata: Name or Version is missing.")
    return ProjectDetails(
        summary=fields.get("summary"),
        description=fields.get("description") or _unparsed(unparsed, "description"),
        description_content_type=fields.get("description_content_type"),
        license=fields.get("license"),
        license_expression=fields.get("license_expression"),
        requires_python=fields.get("requires_python"),
        dependencies=tuple(_dependency(line) for line in fields.get("requires_dist", ()))[
            :MAX_ITEMS
        ],
        provides_extra=tuple(fields.get("provides_extra", ()))[:MAX_ITEMS],
        project_urls=_urls(fields.get("project_urls", {}), fields.get("home_page")),
        author=fields.get("author"),
        author_email=fields.get("author_email"),
        maintainer=fields.get("maintainer"),
        maintainer_email=fields.get("maintainer_email"),
        keywords=tuple(word for word in fields.get("keywords", ()) if word)[:MAX_ITEMS],
        classifiers=tuple(fields.get("classifiers", ()))[:MAX_ITEMS],
    )


def _unparsed(unparsed: dict[str, list[str]], key: str) -> str | None:
    values = unparsed.get(key)
    return values[0] if values else None


def _dependency(line: str) -> Dependency:
    """A ``Requires-Dist`` line; one that does not parse is kept as written, unlinked."""
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return Dependency(line, None, None)
    return Dependency(line, canonicalize_name(requirement.name), _extra_of(requirement))


def _extra_of(requirement: Requirement) -> str | None:
    """The extra a requirement's marker names (``extra == "cli"``), if any."""
    if requirement.marker is None:
        return None
    found = _EXTRA.search(str(requirement.marker))
    return found.group(1) if found else None


def _urls(named: dict[str, str], home_page: str | None) -> tuple[tuple[str, str], ...]:
    """``(label, url)`` pairs, Home-page first; only http(s) URLs (others are not links)."""
    pairs = [("Homepage", home_page)] if home_page else []
    pairs += list(named.items())
    safe = [(label, url.strip()) for label, url in pairs if _is_web_url(url)]
    return tuple(safe[:MAX_ITEMS])


def _is_web_url(url: str) -> bool:
    return url.strip().lower().startswith(("https://", "http://"))
