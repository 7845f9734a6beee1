"""The one way client commands talk to a server: JSON over its REST API, with httpx.

Also where the server and token come from: ``--server``/``--token`` options, then
``QUIVER_SERVER``/``QUIVER_TOKEN`` (typer reads both into the same option), then
what ``quiver login`` stored. No message built here ever contains the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from quiver import __version__
from quiver.cli.credentials import load_credentials
from quiver.domain.errors import Invalid
from quiver.domain.names import split_feed_ref
from quiver_keyring import store

TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0


class ClientError(Exception):
    """A request failed; ``message`` is one line for the user.

    ``status`` is the HTTP status the server answered with, or None when no
    answer came (connection refused, timeout); ``data`` the decoded JSON error body.
    """

    def __init__(
        self, message: str, status: int | None = None, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.data = data or {}

    @property
    def exit_code(self) -> int:
        """1: the server refused; 3: no answer from the server."""
        return 3 if self.status is None else 1


class ConfigError(ClientError):
    """The command cannot be sent at all (no server configured, bad reference): exit 2."""

    @property
    def exit_code(self) -> int:
        return 2


@dataclass(frozen=True)
class Credentials:
    server: str
    token: str | None


def redact(url: str) -> str:
    """``url`` without any user name or password, for messages."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def normalize_server(url: str) -> str:
    """The server key of ``url``; ConfigError for credentials, a query or a fragment.

    As ``quiver_keyring.store.normalize_server``: scheme and host lower-cased, the
    default port dropped, no trailing slash. Refusing credentials keeps secrets out
    of server addresses (and so out of process arguments).
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"Invalid server address {redact(text)!r}: use http(s)://HOST[:PORT][/PATH]."
        )
    if "@" in parts.netloc:
        raise ConfigError(
            "The server address must not contain credentials: pass the token with --token."
        )
    if parts.query or parts.fragment:
        raise ConfigError("The server address must not have a query or fragment.")
    try:
        return store.normalize_server(text)
    except ValueError as err:
        raise ConfigError(str(err)) from None


def resolve_credentials(server: str | None, token: str | None) -> Credentials:
    """Options (or environment), else what ``quiver login`` stored."""
    token = token.strip() if token and token.strip() else None
    if server is None or not server.strip():
        stored = load_credentials()
        if stored is None:
            raise ConfigError(
                "No server configured: pass --server, set QUIVER_SERVER, "
                "or run 'quiver login SERVER'."
            )
        return Credentials(normalize_server(stored[0]), token or stored[1])
    server = normalize_server(server)
    if token is None:
        stored = load_credentials(server)
        token = stored[1] if stored is not None else None
    return Credentials(server, token)


def _segment(text: str) -> str:
    return quote(text, safe="")


def scope_path(scope: str) -> str:
    """``/org`` or ``/org/project`` for ``ORG`` or ``ORG/PROJECT``."""
    parts = scope.strip().strip("/").split("/")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ConfigError(f"Invalid scope {scope!r}: use ORG or ORG/PROJECT.")
    return "".join("/" + _segment(part) for part in parts)


def split_ref(ref: str) -> tuple[str, str]:
    """``(scope path, feed name)`` of ``ORG/FEED`` or ``ORG/PROJECT/FEED``; no views."""
    try:
        org, project, feed, view = split_feed_ref(ref)
    except Invalid as err:
        raise ConfigError(str(err)) from None
    if view is not None:
        raise ConfigError(f"Name the feed without '@{view}': views are not managed here.")
    return scope_path(f"{org}/{project}" if project else org), feed


def split_new_ref(ref: str) -> tuple[str, str]:
    """Like ``split_ref`` for a feed to create: the name goes to the server as typed,
    so the server's naming rules (which refuse '@') judge it."""
    scope, _, name = ref.strip().rpartition("/")
    if not scope or not name or scope.count("/") > 1:
        raise ConfigError(f"Invalid feed reference {ref!r}: use ORG/FEED or ORG/PROJECT/FEED.")
    return scope_path(scope), name


def feeds_path(scope: str) -> str:
    return scope_path(scope) + "/_apis/packaging/feeds"


def feed_path(ref: str) -> str:
    """The REST address of the feed ``ref`` names."""
    scope, feed = split_ref(ref)
    return f"{scope}/_apis/packaging/feeds/{_segment(feed)}"


def path(*parts: str | int) -> str:
    """``/part/part...``, each part escaped."""
    return "".join("/" + _segment(str(part)) for part in parts)


class Client:
    """A small JSON client: base URL, Bearer token, timeouts and one-line errors."""

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout: float = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server = normalize_server(server)
        headers = {"User-Agent": f"quiver/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.server,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_options(cls, server: str | None, token: str | None) -> Client:
        credentials = resolve_credentials(server, token)
        return cls(credentials.server, credentials.token)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(self, url: str, **params: str | None) -> Any:
        query = {key: value for key, value in params.items() if value is not None}
        return self.request("GET", url, params=query)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.request("POST", url, body=body)

    def put(self, url: str, body: dict[str, Any]) -> Any:
        return self.request("PUT", url, body=body)

    def patch(self, url: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", url, body=body)

    def delete(self, url: str) -> Any:
        return self.request("DELETE", url)

    def request(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one), or ClientError."""
        where = redact(self.server)
        try:
            response = self._http.request(method, url, json=body, params=params)
        except httpx.TimeoutException:
            raise ClientError(f"{where} did not answer in time.") from None
        except httpx.HTTPError as err:
            reason = str(err) or type(err).__name__
            raise ClientError(f"Cannot reach {where}: {reason}") from None
        if response.is_redirect:
            target = redact(response.headers.get("location", ""))
            raise ClientError(
                f"{where} redirects to {target}: use that address.", response.status_code
            )
        if response.status_code >= 400:
            raise ClientError(_error_message(response), response.status_code, json_object(response))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ClientError(
                f"{where} did not answer with JSON: is it a Quiver server?", response.status_code
            ) from None


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _error_message(response: httpx.Response) -> str:
    """The server's ``{"message": ...}``, else the status line."""
    data = json_object(response)
    if data is not None and isinstance(data.get("message"), str) and data["message"]:
        return " ".join(str(data["message"]).split())
    return f"The server answered {response.status_code} {response.reason_phrase}".strip() + "."
