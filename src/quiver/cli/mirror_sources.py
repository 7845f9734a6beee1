"""The source index of ``quiver mirror``: reading a PEP 503/691 index and choosing, for one
pinned version and one target, the files an installer there would take.

Contracts:

* :class:`Source` reads ``{url}{project}/`` as PEP 691 JSON when the index offers it, else as
  PEP 503 HTML (``#sha256=`` fragments, ``data-requires-python``), once per project per run.
  Credentials come from the URL's userinfo and are sent only to the index's own origin (a
  file on another host, as PyPI's are, gets none); :attr:`Source.shown` never holds them.
* :func:`choose` picks, among a project's files of one version whose ``Requires-Python``
  admits the target's Python, the wheel whose tag the target prefers most; the sdist as well
  with ``include_sdists``, or instead when no wheel fits (not with ``only_binary``: then the
  pin is a problem, returned as a sentence).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from quiver import __version__
from quiver.cli.client import ClientError, ConfigError, redact
from quiver.cli.mirror_targets import Target, target_tags

__all__ = ["PYPI", "Source", "SourceFile", "choose"]

PYPI = "https://pypi.org/simple/"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_V1}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
TIMEOUT = 60.0


@dataclass(frozen=True)
class SourceFile:
    """One file the source index lists: ``url`` is absolute; ``sha256``/``size`` None when
    the index does not say."""

    project: str
    version: str
    filename: str
    url: str
    sha256: str | None
    size: int | None
    requires_python: str | None

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


class Source:
    """An index to read from (see the module docstring); close it after use."""

    def __init__(self, url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"Invalid --from address {redact(url)!r}: use http(s)://HOST/PATH.")
        auth = None
        if parts.username is not None or parts.password is not None:
            auth = httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.url = urlunsplit(parts._replace(path=path, fragment=""))
        self.shown = redact(self.url)
        self._bare = redact(self.url)
        self._origin = (parts.scheme, parts.hostname, parts.port)
        self._auth = auth
        self._pages: dict[str, list[SourceFile]] = {}
        self._lock = threading.Lock()
        self.http = httpx.Client(
            headers={"User-Agent": f"quiver/{__version__}"},
            timeout=httpx.Timeout(TIMEOUT, connect=10.0),
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def auth_for(self, url: str) -> httpx.Auth | None:
        """The index's credentials for ``url`` if it is on the index's origin, else None."""
        parts = urlsplit(url)
        return self._auth if (parts.scheme, parts.hostname, parts.port) == self._origin else None

    def files(self, project: str) -> list[SourceFile]:
        """Every file of ``project`` the index lists ([] when it does not know the project).

        ClientError when the index cannot be read."""
        name = canonicalize_name(project)
        with self._lock:
            if name in self._pages:
                return self._pages[name]
        page = self._bare + name + "/"
        try:
            response = self.http.get(page, headers={"Accept": ACCEPT}, auth=self.auth_for(page))
        except httpx.HTTPError as err:
            raise ClientError(f"Cannot read {page}: {str(err) or type(err).__name__}") from None
        if response.status_code == 404:
            found: list[SourceFile] = []
        elif response.status_code != 200:
            raise ClientError(f"{page} answered {response.status_code}.", response.status_code)
        elif response.headers.get("content-type", "").startswith(JSON_V1):
            found = _from_json(name, str(response.url), response.json())
        else:
            found = _from_html(name, str(response.url), response.text)
        with self._lock:
            self._pages[name] = found
        return found


def _file(project: str, page: str, filename: str, url: str, **known: Any) -> SourceFile | None:
    """A listed file of ``project``, None for one whose name says another project or none."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    if canonicalize_name(name) != project:
        return None
    absolute = urljoin(page, url).partition("#")[0]
    return SourceFile(project, str(version), filename, absolute, **known)


def _from_json(project: str, page: str, body: dict[str, Any]) -> list[SourceFile]:
    found = []
    for entry in body.get("files", []):
        hashes = entry.get("hashes") or {}
        size = entry.get("size")
        made = _file(
            project,
            page,
            str(entry.get("filename", "")),
            str(entry.get("url", "")),
            sha256=hashes.get("sha256"),
            size=size if isinstance(size, int) else None,
            requires_python=entry.get("requires-python") or None,
        )
        if made is not None:
            found.append(made)
    return found


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append(dict(attrs))


def _from_html(project: str, page: str, text: str) -> list[SourceFile]:
    parser = _Anchors()
    parser.feed(text)
    found = []
    for anchor in parser.found:
        href = anchor.get("href") or ""
        _, _, fragment = href.partition("#")
        algorithm, _, digest = fragment.partition("=")
        filename = unquote(urlsplit(href).path.rpartition("/")[2])
        made = _file(
            project,
            page,
            filename,
            href,
            sha256=digest if algorithm == "sha256" and digest else None,
            size=None,
            requires_python=anchor.get("data-requires-python") or None,
        )
        if made is not None:
            found.append(made)
    return found


def _admits(file: SourceFile, target: Target) -> bool:
    """Whether the file's Requires-Python admits the target's Python (unreadable: yes)."""
    if not file.requires_python:
        return True
    try:
        return SpecifierSet(file.requires_python).contains(target.python, prereleases=True)
    except InvalidSpecifier:
        return True


def choose(
    project: str,
    files: list[SourceFile],
    version: str,
    target: Target,
    *,
    include_sdists: bool = False,
    only_binary: bool = False,
    tags: list[Tag] | None = None,
) -> tuple[list[SourceFile], str | None]:
    """The files of ``project`` ``version`` to mirror for ``target``, and the problem if
    there are none (see the module docstring). ``tags`` defaults to :func:`target_tags`."""
    wanted = Version(version)
    ranks = {tag: rank for rank, tag in enumerate(tags or target_tags(target))}
    wheels: list[tuple[int, SourceFile]] = []
    sdists: list[SourceFile] = []
    for file in files:
        if Version(file.version) != wanted or not _admits(file, target):
            continue
        if not file.is_wheel:
            sdists.append(file)
            continue
        rank = min(ranks.get(tag, len(ranks)) for tag in parse_wheel_filename(file.filename)[3])
        if rank < len(ranks):
            wheels.append((rank, file))
    chosen = [min(wheels, key=lambda pair: pair[0])[1]] if wheels else []
    sdist = sorted(sdists, key=lambda file: not file.filename.endswith(".tar.gz"))[:1]
    if sdist and not only_binary and (include_sdists or not chosen):
        chosen += sdist
    if chosen:
        return chosen, None
    what = "no wheel" if only_binary and sdists else "no file"
    return [], f"{project} {version}: {what} for {target.label}."
