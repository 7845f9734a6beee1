"""Index pages as bytes: PEP 503 HTML and PEP 691 JSON, API version 1.1.

Pure functions of the index data (``quiver.services.index.queries``). Links
are relative (a file's URL is its filename, relative to the package page; a
package's URL is ``{normalized}/``, relative to the list page), so one rendered
page is right whatever host or proxy prefix the client used, and can be cached.

What a file entry carries:

* ``#sha256=`` fragment (HTML) / ``hashes`` (JSON).
* ``requires-python`` (PEP 503 ``data-requires-python``, HTML-escaped).
* yanked (PEP 592): ``data-yanked`` holding the reason (empty when none) /
  ``"yanked": reason`` or ``true``; not yanked is no attribute / ``false``.
* core metadata (PEP 658, renamed by PEP 714): ``data-core-metadata`` and the
  older ``data-dist-info-metadata``, both ``sha256=<hex>`` / JSON
  ``core-metadata`` only, as ``{"sha256": ...}`` or ``false``: pip 22.3 to 23.1
  crash on the old JSON key, so PEP 714 tells servers not to send it in JSON.
* PEP 700 (JSON only): ``size``, ``upload-time`` and the package's ``versions``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from quiver.services.records import FileRecord, PackageListing, PackageName

API_VERSION = "1.1"
_HEAD = (
    "<!DOCTYPE html>\n<html>\n  <head>\n"
    f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
    "{meta}    <title>{title}</title>\n  </head>\n  <body>\n"
)
_TAIL = "  </body>\n</html>\n"


def file_href(filename: str) -> str:
    """A file's URL relative to its package page (one path segment)."""
    return quote(filename, safe="+!")


def package_href(normalized: str) -> str:
    """A package page's URL relative to the list page."""
    return quote(normalized, safe="") + "/"


def upload_time(when: datetime) -> str:
    """``yyyy-mm-ddThh:mm:ss.ffffffZ`` in UTC, the PEP 700 format."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def project_list_html(names: Sequence[PackageName]) -> bytes:
    lines = [_HEAD.format(title="Simple index", meta="")]
    lines.extend(
        f'    <a href="{escape(package_href(p.normalized))}">{escape(p.name)}</a><br/>\n'
        for p in names
    )
    lines.append(_TAIL)
    return "".join(lines).encode("utf-8")


def project_list_json(names: Sequence[PackageName]) -> bytes:
    return _dumps(
        {
            "meta": {"api-version": API_VERSION},
            "projects": [{"name": p.name} for p in names],
        }
    )


def _anchor(file: FileRecord) -> str:
    href = f"{file_href(file.filename)}#sha256={file.sha256}"
    attrs = [f'href="{escape(href)}"']
    if file.requires_python:
        attrs.append(f'data-requires-python="{escape(file.requires_python)}"')
    if file.yanked:
        attrs.append(f'data-yanked="{escape(file.yanked_reason or "")}"')
    if file.has_metadata:
        value = f"sha256={file.metadata_sha256}"
        attrs.append(f'data-dist-info-metadata="{value}"')
        attrs.append(f'data-core-metadata="{value}"')
    return f"    <a {' '.join(attrs)}>{escape(file.filename)}</a><br/>\n"


def _pep708_meta(listing: PackageListing) -> str:
    """PEP 708 ``pypi:tracks`` / ``pypi:alternate-locations`` meta elements."""
    pairs = [("tracks", url) for url in listing.tracks]
    pairs += [("alternate-locations", url) for url in listing.alternate_locations]
    return "".join(
        f'    <meta name="pypi:{name}" content="{escape(url)}">\n' for name, url in pairs
    )


def package_html(listing: PackageListing) -> bytes:
    title = escape(f"Links for {listing.normalized}")
    lines = [_HEAD.format(title=title, meta=_pep708_meta(listing)), f"    <h1>{title}</h1>\n"]
    lines.extend(_anchor(file) for file in listing.files)
    lines.append(_TAIL)
    return "".join(lines).encode("utf-8")


def _file_object(file: FileRecord) -> dict[str, Any]:
    metadata: dict[str, str] | bool = (
        {"sha256": file.metadata_sha256}
        if file.has_metadata and file.metadata_sha256 is not None
        else False
    )
    obj: dict[str, Any] = {
        "filename": file.filename,
        "url": file_href(file.filename),
        "hashes": {"sha256": file.sha256},
    }
    if file.requires_python:
        obj["requires-python"] = file.requires_python
    if file.size is not None:
        obj["size"] = file.size
    if file.uploaded_at is not None:
        obj["upload-time"] = upload_time(file.uploaded_at)
    obj["yanked"] = (file.yanked_reason or True) if file.yanked else False
    obj["core-metadata"] = metadata
    return obj


def package_json(listing: PackageListing) -> bytes:
    document: dict[str, Any] = {
        "meta": {"api-version": API_VERSION},
        "name": listing.normalized,
        "versions": list(listing.versions),
        "files": [_file_object(file) for file in listing.files],
    }
    if listing.tracks:
        document["tracks"] = list(listing.tracks)
    if listing.alternate_locations:
        document["alternate-locations"] = list(listing.alternate_locations)
    return _dumps(document)


def render_project_list(names: Sequence[PackageName], body_format: str) -> bytes:
    """The list page in ``"html"`` or ``"json"``."""
    return project_list_json(names) if body_format == "json" else project_list_html(names)


def render_package(listing: PackageListing, body_format: str) -> bytes:
    """A package page in ``"html"`` or ``"json"``."""
    return package_json(listing) if body_format == "json" else package_html(listing)
