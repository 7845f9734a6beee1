"""The keyring backend: the token of a Quiver server for any URL under it, else nothing.

keyring loads this module through the ``keyring.backends`` entry point; defining
:class:`QuiverKeyring` registers it. Its priority (9.9) puts it first in keyring's chainer,
ahead of the operating system's keyrings, and because it answers ``None`` for every URL
that is not a Quiver server's, the chainer then asks the next backend as before.

Lookups follow ``docs/design/credentials.md`` (:func:`quiver_keyring.store.credential_for`):
``QUIVER_TOKEN`` first, then the servers ``quiver login`` stored. This backend never
prompts, never prints and never raises from a lookup: any error is logged at debug level and
answered with ``None``. It never stores anything either: ``quiver login`` and
``quiver logout`` do.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from urllib.parse import urlsplit, urlunsplit

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.credentials import SimpleCredential
from keyring.errors import PasswordDeleteError, PasswordSetError

__all__ = ["QuiverKeyring"]

log = logging.getLogger(__name__)

#: The username answered when neither the caller nor ``quiver login`` named one.
DEFAULT_USERNAME = "quiver"

# host, IPv4, or [IPv6], with an optional port: what pip passes when it asks by netloc.
_BARE_NETLOC = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$")

_busy = threading.local()


class _NotAQuiverService(PasswordSetError, PasswordDeleteError, NotImplementedError):
    """Refusal for a service that is no Quiver server's.

    Being a ``NotImplementedError`` lets keyring's chainer pass the request on to the next
    backend (the operating system's keyring), so ``keyring set`` for other services works
    exactly as it did before this plugin was installed.
    """


class QuiverKeyring(KeyringBackend):
    """Answers pip, uv and twine with the token for a Quiver server's URLs; refuses writes."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    @properties.classproperty
    def priority(cls) -> float:
        # Above every operating-system keyring (at most 5), below the chainer (10), so the
        # chainer asks us first and falls through to the others for URLs we do not know.
        return 9.9

    def get_password(self, service: str, username: str) -> str | None:
        token = _lookup(service)
        return token[0] if token else None

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        found = _lookup(service)
        if found is None:
            return None
        token, stored_username = found
        return SimpleCredential(username or stored_username or DEFAULT_USERNAME, token)

    def set_password(self, service: str, username: str, password: str) -> None:
        if _lookup(service) is not None:
            raise PasswordSetError(
                f"{_server_of(service)} is a Quiver server: store its token with "
                "`quiver login --token TOKEN SERVER`, not with keyring"
            )
        raise _NotAQuiverService(f"quiver-keyring stores nothing for {_server_of(service)}")

    def delete_password(self, service: str, username: str) -> None:
        if _lookup(service) is not None:
            raise PasswordDeleteError(
                f"{_server_of(service)} is a Quiver server: forget its token with "
                "`quiver logout`, not with keyring"
            )
        raise _NotAQuiverService(f"quiver-keyring holds nothing for {_server_of(service)}")


def _lookup(service: str) -> tuple[str, str | None] | None:
    """``(token, stored username or None)`` for ``service``, or None; never raises."""
    if getattr(_busy, "active", False):
        return None  # the store asked keyring while answering us: stay out of the loop
    _busy.active = True
    try:
        for url in _candidate_urls(service):
            found = _credential_for(url)
            if found is not None:
                return found
        return None
    except Exception:
        log.debug("quiver-keyring: lookup failed; answering nothing", exc_info=True)
        return None
    finally:
        _busy.active = False


def _credential_for(url: str) -> tuple[str, str | None] | None:
    from quiver_keyring import store

    credential = store.credential_for(url)
    if credential is None or not credential.token:
        return None
    return credential.token, credential.username or None


def _candidate_urls(service: str) -> list[str]:
    """The URLs to look ``service`` up as: itself without credentials; for a bare
    ``host[:port]`` (pip and uv also ask by netloc) the servers on that host, https first."""
    service = service.strip()
    if "://" in service:
        parts = urlsplit(service)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return []
        netloc = parts.netloc.rpartition("@")[2]
        return [urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))]
    if not _BARE_NETLOC.match(service):
        return []
    from quiver_keyring import store

    pinned = os.environ.get("QUIVER_SERVER", "").strip() if os.environ.get("QUIVER_TOKEN") else ""
    known = [pinned] if pinned else []
    known += sorted(store.servers(), key=lambda key: not key.startswith("https:"))
    on_host = [server for server in known if _same_host(server, service)]
    return [*on_host, f"https://{service}/", f"http://{service}/"]


def _same_host(server: str, netloc: str) -> bool:
    """Whether ``server`` (a URL) is on ``netloc`` (``host[:port]``, default port optional)."""
    from quiver_keyring import store

    scheme = urlsplit(server).scheme.lower()
    try:
        ours = urlsplit(store.normalize_server(server)).netloc
        theirs = urlsplit(store.normalize_server(f"{scheme}://{netloc}")).netloc
    except ValueError:
        return False
    return ours == theirs


def _server_of(service: str) -> str:
    """``service`` without credentials, query or path: safe to show in a message."""
    if "://" not in service:
        return service if _BARE_NETLOC.match(service.strip()) else "this service"
    parts = urlsplit(service)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "", "", ""))
