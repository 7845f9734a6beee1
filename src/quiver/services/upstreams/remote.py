"""Upstream package pages as plain data: PEP 691 JSON and PEP 503 HTML parsers (no I/O).

Contract of both parsers: they return a ``RemotePage`` or raise ``UpstreamError``
with a one-line reason, whatever the bytes are. A page that is broken as a whole
(not JSON/HTML, wrong API major version, a field of the wrong type, a page for
another project) is an error; a single link that is not a wheel or sdist of the
page's project (eggs, installers, other projects' files, unparsable filenames or
URLs, non-HTTP URLs) is skipped, as pip skips it. File URLs are made absolute
against the page URL (HTML: against ``<base href>`` when present); the first
entry of a filename wins.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.utils import canonicalize_name

from quiver.domain.distributions import parse_filename
from quiver.domain.errors import Invalid, UpstreamError

_API_VERSION = re.compile(r"^1\.\d+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# The fragment hashes pip understands (``#sha256=...``).
_FRAGMENT_HASHES = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})
Yanked = bool | str


@dataclass(frozen=True)
class RemoteFile:
    """One distribution file an upstream offers.

    ``url`` is absolute (http/https, no fragment). ``hashes`` maps hash names to
    lowercase hex digests. ``yanked`` is False, True (no reason) or a non-empty
    reason. ``core_metadata`` is None when the upstream does not serve the
    ``.metadata`` file, else its hashes (``{}`` when offered without hashes).
    """

    filename: str
    url: str
    hashes: dict[str, str]
    requires_python: str | None = None
    yanked: Yanked = False
    core_metadata: dict[str, str] | None = None
    size: int | None = None
    upload_time: str | None = None


@dataclass(frozen=True)
class RemotePage:
    """A package page of an upstream: normalized ``name``, files in page order.

    ``versions`` is the PEP 700 list (JSON pages that carry it) or None;
    ``page_url`` is the URL the page came from (after redirects, no credentials);
    ``meta`` is the page's ``meta`` object (HTML: the PEP 629 api-version if given).
    """

    name: str
    files: tuple[RemoteFile, ...]
    page_url: str
    versions: tuple[str, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def parse_json_page(body: bytes, page_url: str, name: str | None = None) -> RemotePage:
    """Parse a PEP 691 (API 1.x) project page; ``name``, when given, must be its project."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise UpstreamError("upstream page is not valid JSON") from None
    if not isinstance(doc, dict):
        raise UpstreamError("upstream JSON page is not an object")
    meta = doc.get("meta")
    if not isinstance(meta, dict):
        raise UpstreamError("upstream JSON page has no meta object")
    _check_api_version(meta.get("api-version"))
    project = _project_name(doc.get("name"), page_url, name)
    versions = doc.get("versions")
    if versions is not None and not (
        isinstance(versions, list) and all(isinstance(v, str) for v in versions)
    ):
        raise UpstreamError("upstream JSON page has a versions field that is not a list of strings")
    raw_files = doc.get("files")
    if not isinstance(raw_files, list):
        raise UpstreamError("upstream JSON page has no files list")
    files: dict[str, RemoteFile] = {}
    for raw in raw_files:
        remote = _json_file(raw, page_url, project)
        if remote is not None:
            files.setdefault(remote.filename, remote)
    return RemotePage(
        name=project,
        files=tuple(files.values()),
        page_url=page_url,
        versions=tuple(versions) if versions is not None else None,
        meta=meta,
    )


def parse_html_page(
    body: bytes, page_url: str, name: str | None = None, encoding: str = "utf-8"
) -> RemotePage:
    """Parse a PEP 503 project page (with PEP 592/629/658/714 attributes)."""
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UpstreamError(f"upstream HTML page is not valid {encoding[:20]} text") from None
    if "\x00" in text:
        raise UpstreamError("upstream HTML page contains binary data")
    parser = _AnchorParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # html.parser is lenient but not total on every input
        raise UpstreamError("upstream HTML page could not be parsed") from None
    if not parser.saw_tag:
        raise UpstreamError("upstream page is not HTML")
    meta: dict[str, Any] = {}
    if parser.api_version is not None:
        _check_api_version(parser.api_version)
        meta["api-version"] = parser.api_version
    project = _project_name(None, page_url, name)
    base = page_url
    if parser.base_href is not None:
        joined = _join(page_url, parser.base_href)
        base = joined if joined is not None else page_url
    files: dict[str, RemoteFile] = {}
    for attrs in parser.anchors:
        remote = _html_file(attrs, base, project)
        if remote is not None:
            files.setdefault(remote.filename, remote)
    return RemotePage(name=project, files=tuple(files.values()), page_url=page_url, meta=meta)


def _check_api_version(value: object) -> None:
    if not isinstance(value, str):
        raise UpstreamError("upstream page does not say its API version")
    if not _API_VERSION.match(value.strip()):
        raise UpstreamError(f"upstream page has unsupported API version {value[:20]!r}")


def _project_name(declared: object, page_url: str, requested: str | None) -> str:
    """The page's normalized project name; it must agree with the one asked for."""
    if declared is not None and not isinstance(declared, str):
        raise UpstreamError("upstream JSON page has a name that is not a string")
    if requested is not None:
        project = canonicalize_name(requested)
    elif declared:
        project = canonicalize_name(declared)
    else:
        try:
            path = urlsplit(page_url).path
        except ValueError:
            path = ""
        project = canonicalize_name(unquote(posixpath.basename(path.rstrip("/"))))
    if declared is not None and canonicalize_name(declared) != project:
        raise UpstreamError(f"upstream page is for {declared[:80]!r}, not {project!r}")
    if not project:
        raise UpstreamError("upstream page does not name its project")
    return project


def _join(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``, without fragment; None unless http(s)."""
    try:
        url = urldefrag(urljoin(base, href.strip())).url
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def _dist_filename(filename: str, project: str) -> bool:
    """Whether ``filename`` is a wheel or sdist of ``project``."""
    try:
        return parse_filename(filename).name == project
    except Invalid:
        return False


def _json_file(raw: object, page_url: str, project: str) -> RemoteFile | None:
    if not isinstance(raw, dict):
        raise UpstreamError("upstream JSON page has a file entry that is not an object")
    filename, href = raw.get("filename"), raw.get("url")
    if not isinstance(filename, str) or not isinstance(href, str):
        raise UpstreamError("upstream JSON page has a file without filename or url")
    url = _join(page_url, href)
    if url is None or not _dist_filename(filename, project):
        return None
    hashes = _checked(raw, "hashes", dict, filename) or {}
    requires_python = _checked(raw, "requires-python", str, filename)
    yanked = _checked(raw, "yanked", bool | str, filename)
    size = _checked(raw, "size", int, filename)
    if size is not None and (isinstance(size, bool) or size < 0):
        raise UpstreamError(f"upstream JSON page has a bad size for {filename}")
    upload_time = _checked(raw, "upload-time", str, filename)
    # PEP 714 renamed dist-info-metadata to core-metadata; the new key wins.
    metadata = raw.get("core-metadata", raw.get("dist-info-metadata", False))
    if metadata is True:
        core_metadata: dict[str, str] | None = {}
    elif metadata is False or metadata is None:
        core_metadata = None
    elif isinstance(metadata, dict):
        core_metadata = _hashes(metadata, filename)
    else:
        raise UpstreamError(f"upstream JSON page has a bad core-metadata for {filename}")
    return RemoteFile(
        filename=filename,
        url=url,
        hashes=_hashes(hashes, filename),
        requires_python=requires_python or None,
        yanked=(yanked or True) if isinstance(yanked, str) else bool(yanked),
        core_metadata=core_metadata,
        size=size,
        upload_time=upload_time,
    )


def _checked(raw: dict[Any, Any], key: str, kind: Any, filename: str) -> Any:
    """``raw[key]`` if absent/null or of type ``kind``, else the page is garbage."""
    value = raw.get(key)
    if value is not None and not isinstance(value, kind):
        raise UpstreamError(f"upstream JSON page has a bad {key} for {filename}")
    return value


def _hashes(raw: dict[Any, Any], filename: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for algorithm, digest in raw.items():
        if not isinstance(algorithm, str) or not isinstance(digest, str) or not _HEX.match(digest):
            raise UpstreamError(f"upstream page has a malformed hash for {filename}")
        result[algorithm.lower()] = digest.lower()
    if "sha256" in result and not _SHA256.match(result["sha256"]):
        raise UpstreamError(f"upstream page has a malformed sha256 for {filename}")
    return result


def _html_file(attrs: dict[str, str | None], base: str, project: str) -> RemoteFile | None:
    href = attrs.get("href")
    if not href:
        return None
    url = _join(base, href)
    if url is None:
        return None
    filename = unquote(posixpath.basename(urlsplit(url).path))
    if not _dist_filename(filename, project):
        return None
    fragment = urlsplit(urljoin(base, href.strip())).fragment
    hashes = _hashes(_fragment_hashes(fragment), filename)
    yanked: Yanked = False
    if "data-yanked" in attrs:
        yanked = attrs["data-yanked"] or True
    metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
    return RemoteFile(
        filename=filename,
        url=url,
        hashes=hashes,
        requires_python=(attrs.get("data-requires-python") or "").strip() or None,
        yanked=yanked,
        core_metadata=_html_metadata(metadata),
    )


def _fragment_hashes(fragment: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in fragment.split("&"):
        algorithm, _, digest = part.partition("=")
        algorithm = algorithm.lower()
        if algorithm in _FRAGMENT_HASHES and digest and _HEX.match(digest):
            found[algorithm] = digest
    return found


def _html_metadata(value: str | None) -> dict[str, str] | None:
    """PEP 658 attribute: ``true`` or ``<hash>=<hex>``; anything else means not offered."""
    if value is None:
        return None
    value = value.strip()
    if value.lower() == "true":
        return {}
    algorithm, _, digest = value.partition("=")
    algorithm = algorithm.lower()
    if algorithm in hashlib.algorithms_guaranteed and digest and _HEX.match(digest):
        if algorithm == "sha256" and not _SHA256.match(digest.lower()):
            return None
        return {algorithm: digest.lower()}
    return None


class _AnchorParser(HTMLParser):
    """Collects anchors' attributes, the first ``<base href>`` and the PEP 629 version."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base_href: str | None = None
        self.api_version: str | None = None
        self.saw_tag = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_tag = True
        values = dict(attrs)  # names come lowercased; values HTML-unescaped
        if tag == "a":
            self.anchors.append(values)
        elif tag == "base" and self.base_href is None and values.get("href"):
            self.base_href = values["href"]
        elif tag == "meta" and values.get("name") == "pypi:repository-version":
            self.api_version = values.get("content") or ""
