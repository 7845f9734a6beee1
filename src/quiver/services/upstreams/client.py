"""Talking to upstream simple indexes over HTTP: package pages and file streams.

Every request is bounded: connect and read timeouts from the settings (pages also
get a total deadline per attempt, so a server that drips bytes cannot hold a page
fetch for ever), at most ``MAX_REDIRECTS`` redirects, pages at most
``upstream_max_page_bytes`` and files at most ``max_upload_bytes``, counted while
streaming so nothing over the limit is held in memory. Failures become
``UpstreamError`` whose message names the upstream by a redacted URL (no
``user:pass@``, no query string) and never carries a secret.

Credentials go only to the upstream's own origin (scheme, host, port): a file
on a CDN, or a redirect to one, is fetched without them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import httpx
from packaging.utils import canonicalize_name

from quiver.domain.errors import Invalid, UpstreamError
from quiver.services.upstreams.remote import RemotePage, parse_html_page, parse_json_page
from quiver.settings import MIB, Settings

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
)
MAX_REDIRECTS = 5
_JSON_TYPES = frozenset(
    {"application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json",
     "application/json"}
)  # fmt: skip
_HTML_TYPES = frozenset(
    {"application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html",
     "text/html"}
)  # fmt: skip
# Worth a second try: the network or the server hiccuped, not a refusal.
_RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def redact(url: str | httpx.URL) -> str:
    """``url`` without credentials, query string or fragment: safe for messages and logs."""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "<unparsable URL>"


def _origin(url: str | httpx.URL) -> tuple[str, str, int]:
    parsed = httpx.URL(str(url))
    default = 443 if parsed.scheme == "https" else 80
    return parsed.scheme, parsed.host.lower(), parsed.port or default


@dataclass(frozen=True)
class IndexSource:
    """An upstream simple index: base ``url`` (ends in ``/``), optional Basic credentials.

    Credentials embedded in the URL (``https://user:pass@host/simple/``) are moved
    into ``username``/``secret`` so ``url`` never carries them. ``repr`` hides the
    secret.
    """

    url: str
    username: str | None = None
    secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        """Raises Invalid (a ValueError) for a URL that is not ``http(s)://host/...``."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(f"upstream URL must be http(s)://host/...: {redact(self.url)}")
        host = parts.netloc.rpartition("@")[2]
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        # frozen dataclass: normalise in place once, before anyone sees the object
        object.__setattr__(self, "url", urlunsplit((parts.scheme, host, path, parts.query, "")))
        if parts.username is not None and self.username is None:
            object.__setattr__(self, "username", unquote(parts.username))
        if parts.password is not None and self.secret is None:
            object.__setattr__(self, "secret", unquote(parts.password))

    @property
    def auth(self) -> httpx.BasicAuth | None:
        if self.username is None and self.secret is None:
            return None
        return httpx.BasicAuth(self.username or "", self.secret or "")

    def page_url(self, name: str) -> str:
        return f"{self.url}{quote(canonicalize_name(name), safe='')}/"


class _Retry(Exception):
    """One attempt failed in a way worth a second try; ``str`` is the reason."""


class UpstreamClient:
    """Fetches pages and files from upstream indexes over one shared ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._http = http
        self._settings = settings
        connect, read = settings.upstream_connect_timeout, settings.upstream_read_timeout
        self._timeout = httpx.Timeout(read, connect=connect, pool=connect)
        self._page_deadline = connect + 2 * read

    async def fetch_page(self, source: IndexSource, name: str) -> RemotePage | None:
        """The package page of ``name`` at ``source``; None if the upstream says 404/410.

        JSON (PEP 691) is asked for first, HTML (PEP 503) accepted; the parser is chosen
        by the Content-Type. One retry on timeouts, network errors and 5xx.
        """
        normalized = canonicalize_name(name)
        if not normalized:
            raise Invalid("a package name is needed")
        url = source.page_url(normalized)
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(self._page_deadline):
                    return await self._fetch_page_once(source, normalized, url)
            except TimeoutError:
                reason = f"upstream {redact(url)} did not answer in {self._page_deadline:g} s"
            except _Retry as retry:
                reason = str(retry)
            if attempt == 2:
                raise UpstreamError(reason)
        raise AssertionError("unreachable")

    async def _fetch_page_once(self, source: IndexSource, name: str, url: str) -> RemotePage | None:
        response = await self._send(source, url, {"Accept": ACCEPT})
        try:
            where = redact(response.url)
            if response.status_code in (404, 410):
                return None
            if response.status_code >= 500:
                raise _Retry(f"upstream {where} answered {response.status_code}")
            self._check_status(source, response, where)
            media_type, _, params = response.headers.get("content-type", "").partition(";")
            media_type = media_type.strip().lower()
            if media_type not in _JSON_TYPES | _HTML_TYPES:
                raise UpstreamError(
                    f"upstream {where} answered with unexpected content type {media_type[:60]!r}"
                )
            limit = self._settings.upstream_max_page_bytes
            body = await self._read_bounded(response, limit, where)
        finally:
            await response.aclose()
        page_url = redact(response.url)
        if media_type in _JSON_TYPES:
            return parse_json_page(body, page_url, name)
        return parse_html_page(body, page_url, name, _charset(params))

    async def _read_bounded(self, response: httpx.Response, limit: int, where: str) -> bytes:
        too_large = UpstreamError(f"upstream page {where} is larger than {_size(limit)}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        total = 0
        try:
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    raise too_large  # stop reading: the rest is never downloaded
                chunks.append(chunk)
        except _RETRYABLE as err:
            raise _Retry(f"upstream {where}: {_describe(err)}") from None
        except httpx.HTTPError as err:
            raise UpstreamError(f"upstream {where}: {_describe(err)}") from None
        return b"".join(chunks)

    @contextlib.asynccontextmanager
    async def stream_file(
        self, source: IndexSource, url: str
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """``async with client.stream_file(src, url) as chunks: async for chunk in chunks``.

        The raw bytes of the file at ``url`` (a URL from a page of ``source``), with
        ``source``'s credentials only if ``url`` is on its origin. Opening retries once;
        once bytes flow, any failure or going over ``max_upload_bytes`` is an
        ``UpstreamError`` and the caller must discard what it got.
        """
        if not _http_url(url):
            raise UpstreamError(f"upstream file URL {redact(url)} is not http(s)")
        headers = {"Accept-Encoding": "identity"}  # the bytes whose sha256 the page names
        response: httpx.Response | None = None
        for attempt in (1, 2):
            try:
                response = await self._send(source, url, headers)
                if response.status_code >= 500 and attempt == 1:
                    await response.aclose()
                    continue
                break
            except _Retry as retry:
                if attempt == 2:
                    raise UpstreamError(str(retry)) from None
        assert response is not None
        try:
            where = redact(response.url)
            if response.status_code in (404, 410):
                raise UpstreamError(f"upstream no longer has {where}")
            self._check_status(source, response, where)
            limit = self._settings.max_upload_bytes
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise UpstreamError(f"upstream file {where} is larger than {_size(limit)}")
            chunks = self._file_chunks(response, limit, where)
            try:
                yield chunks
            finally:
                await chunks.aclose()
        finally:
            await response.aclose()

    async def _file_chunks(
        self, response: httpx.Response, limit: int, where: str
    ) -> AsyncGenerator[bytes, None]:
        total = 0
        try:
            async for chunk in response.aiter_raw():
                total += len(chunk)
                if total > limit:
                    raise UpstreamError(f"upstream file {where} is larger than {_size(limit)}")
                yield chunk
        except httpx.HTTPError as err:
            raise UpstreamError(f"upstream {where}: {_describe(err)}") from None

    async def _send(self, source: IndexSource, url: str, headers: dict[str, str]) -> httpx.Response:
        """GET ``url`` following redirects ourselves, so each hop decides on credentials.

        Returns the final response, streaming (the caller closes it). Transport errors
        worth retrying raise ``_Retry``; others ``UpstreamError``.
        """
        home = _origin(source.url)
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                auth = source.auth if _origin(url) == home else None
                request = self._http.build_request(
                    "GET", url, headers=headers, timeout=self._timeout
                )
                response = await self._http.send(
                    request, auth=auth, stream=True, follow_redirects=False
                )
            except _RETRYABLE as err:
                raise _Retry(f"upstream {redact(url)}: {_describe(err)}") from None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as err:
                raise UpstreamError(f"upstream {redact(url)}: {_describe(err)}") from None
            if not response.is_redirect:
                return response
            await response.aclose()
            url = _http_url(urljoin(str(response.url), response.headers.get("location", "")))
            if not url:
                raise UpstreamError(f"upstream {redact(response.url)} redirected to a non-HTTP URL")
        raise UpstreamError(f"upstream {redact(url)}: more than {MAX_REDIRECTS} redirects")

    def _check_status(self, source: IndexSource, response: httpx.Response, where: str) -> None:
        status = response.status_code
        if status in (401, 403) and _origin(response.url) == _origin(source.url):
            upstream = redact(source.url)
            if source.auth is None:
                raise UpstreamError(f"upstream {upstream} requires credentials ({status})")
            raise UpstreamError(f"upstream {upstream} refused our credentials ({status})")
        if status != 200:
            raise UpstreamError(f"upstream {where} answered {status}")


def _http_url(url: str) -> str:
    """``url`` if it is a well-formed http(s) URL, else ""."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises here rather than in httpx
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return ""
    return url if ok else ""


def _describe(err: Exception) -> str:
    """A short cause without the exception text, which may quote URLs or headers."""
    if isinstance(err, httpx.TimeoutException):
        return "timed out"
    if isinstance(err, httpx.ConnectError):
        return "could not connect"
    if isinstance(err, httpx.TooManyRedirects):
        return "too many redirects"
    return f"request failed ({type(err).__name__})"


def _charset(params: str) -> str:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _size(limit: int) -> str:
    return f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit} bytes"
