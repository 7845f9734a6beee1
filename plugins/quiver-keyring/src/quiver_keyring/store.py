"""The one credential store shared by ``quiver login`` and the keyring backend.

Contract (docs/design/credentials.md): a JSON file ``$XDG_CONFIG_HOME/quiver/credentials.json``
(directory 0700, file 0600, replaced atomically) lists the servers logged in to, keyed by
normalized URL, and which of them is the default. Each token sits in the system keyring
(service ``quiver:<server key>``, username ``token``) when a real backend works, otherwise
in the file itself. Only the standard library and ``keyring``; Python 3.9 and later.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from quiver_keyring.system import real_keyring

__all__ = [
    "Credential",
    "credential_for",
    "credentials_path",
    "load",
    "normalize_server",
    "real_keyring",
    "remove",
    "save",
    "servers",
]

FORMAT_VERSION = 1
KEYRING_USERNAME = "token"  # the keyring entry's user name
FEED_PATH_MARK = "/_packaging/"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Credential:
    """A token for a server. ``username`` is the stored one (None when not known)."""

    server: str
    token: str
    username: str | None = None


# --- server keys -----------------------------------------------------------------------------


def normalize_server(url: str) -> str:
    """The server key of ``url``: ``scheme://host[:port][/path]``.

    Scheme and host are lower-cased, the default port is dropped, and credentials,
    query, fragment and trailing slashes are removed; a path prefix is kept as is.
    Raises ValueError for anything but an http(s) URL with a host (the message never
    repeats credentials).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError("Invalid server address: the port is not a number.") from None
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("Invalid server address: use http(s)://HOST[:PORT][/PATH].")
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def _is_under(url_key: str, server_key: str) -> bool:
    """Whether the normalized ``url_key`` is ``server_key`` or below it (whole segments)."""
    return url_key == server_key or url_key.startswith(server_key + "/")


def _url_key(url: str) -> str | None:
    try:
        return normalize_server(url)
    except ValueError:
        return None


# --- the file --------------------------------------------------------------------------------


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/quiver``, by default ``~/.config/quiver``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "quiver"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def _empty() -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "default": None, "servers": {}}


def _read() -> dict[str, Any]:
    """The file's content in the current shape; empty when missing or unreadable."""
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _empty()
    if not isinstance(data, dict):
        return _empty()
    if "version" not in data and isinstance(data.get("server"), str):
        return _upgrade_first_shape(data)
    servers = data.get("servers")
    if not isinstance(servers, dict):
        return _empty()
    entries = {k: v for k, v in servers.items() if isinstance(k, str) and isinstance(v, dict)}
    default = data.get("default")
    if not isinstance(default, str) or default not in entries:
        default = None
    return {"version": FORMAT_VERSION, "default": default, "servers": entries}


def _upgrade_first_shape(data: dict[str, Any]) -> dict[str, Any]:
    """Read the first file shape, ``{"server": ..., "token": ...}``."""
    key, token = _url_key(str(data["server"])), data.get("token")
    if key is None or not isinstance(token, str) or not token:
        return _empty()
    entry = {"username": None, "storage": "file", "token": token}
    return {"version": FORMAT_VERSION, "default": key, "servers": {key: entry}}


def _write(data: dict[str, Any]) -> None:
    """Replace the file atomically (0600 in a 0700 directory); remove it when empty."""
    path = credentials_path()
    if not data["servers"]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd, temporary = tempfile.mkstemp(prefix=".credentials-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# --- the system keyring (through ``real_keyring``, so tests may replace it) ------------


def _service(server_key: str) -> str:
    return f"quiver:{server_key}"


def _keyring_set(server_key: str, token: str) -> bool:
    """Store ``token`` in the system keyring; False when there is none or it fails."""
    backend = real_keyring()
    if backend is None:
        return False
    try:
        backend.set_password(_service(server_key), KEYRING_USERNAME, token)
    except Exception:
        return False
    return True


def _keyring_get(server_key: str) -> str | None:
    backend = real_keyring()
    if backend is None:
        return None
    try:
        return backend.get_password(_service(server_key), KEYRING_USERNAME)
    except Exception:
        return None


def _keyring_delete(server_key: str) -> None:
    """Forget the keyring entry, if there is one (best effort)."""
    backend = real_keyring()
    if backend is None:
        return
    with contextlib.suppress(Exception):
        backend.delete_password(_service(server_key), KEYRING_USERNAME)


# --- the API ---------------------------------------------------------------------------------


def save(server: str, token: str, username: str | None = None) -> str:
    """Keep ``token`` for ``server`` and make it the default server.

    Returns where the token went: ``"keyring"`` (a real system keyring took it)
    or ``"file"`` (the credentials file, mode 0600). Raises ValueError for an
    invalid server address or an empty token.
    """
    key = normalize_server(server)
    if not token:
        raise ValueError("The token is empty.")
    data = _read()
    previous = data["servers"].get(key, {})
    entry: dict[str, Any] = {"username": username, "storage": "keyring"}
    if not _keyring_set(key, token):
        entry = {"username": username, "storage": "file", "token": token}
        if previous.get("storage") == "keyring":
            _keyring_delete(key)
    data["servers"][key] = entry
    data["default"] = key
    _write(data)
    return str(entry["storage"])


def _entry_credential(key: str, entry: dict[str, Any]) -> Credential | None:
    token = _keyring_get(key) if entry.get("storage") == "keyring" else entry.get("token")
    if not isinstance(token, str) or not token:
        return None
    username = entry.get("username")
    return Credential(key, token, username if isinstance(username, str) else None)


def load(server: str | None = None) -> Credential | None:
    """The stored credential for ``server`` (default: the default server), or None.

    Only what ``save`` stored: QUIVER_TOKEN is not consulted here. None also when
    the address is invalid or the token cannot be read back from the keyring.
    """
    data = _read()
    key = data["default"] if server is None else _url_key(server)
    entry = data["servers"].get(key) if key else None
    return _entry_credential(key, entry) if key and entry else None


def remove(server: str | None = None) -> bool:
    """Forget ``server`` (default: the default server), keyring entry included.

    Returns False when nothing was stored for it. When the default is removed,
    another stored server (the first in order) becomes the default.
    """
    data = _read()
    key = data["default"] if server is None else _url_key(server)
    if not key or key not in data["servers"]:
        return False
    entry = data["servers"].pop(key)
    if entry.get("storage") == "keyring":
        _keyring_delete(key)
    if data["default"] == key:
        data["default"] = min(data["servers"], default=None)
    _write(data)
    return True


def servers() -> list[str]:
    """The keys of every stored server, sorted."""
    return sorted(_read()["servers"])


def default_server() -> str | None:
    """The key of the default server, or None when nothing is stored."""
    default = _read()["default"]
    return default if isinstance(default, str) else None


def credential_for(url: str) -> Credential | None:
    """The credential that answers for ``url`` (docs/design/credentials.md), or None.

    1. QUIVER_TOKEN, when set, wins for URLs under QUIVER_SERVER if that is set;
       otherwise under any stored server if there are some; otherwise for any URL
       whose path contains ``/_packaging/``. Never for other URLs.
    2. Otherwise the stored server whose key is the longest prefix of the URL.
    Credentials embedded in ``url`` are ignored for matching.
    """
    url_key = _url_key(url)
    if url_key is None:
        return None
    stored = _read()["servers"]
    server = _longest_prefix(url_key, stored)
    from_env = _env_credential(url_key, stored, server)
    if from_env is not None:
        return from_env
    return _entry_credential(server, stored[server]) if server else None


def _longest_prefix(url_key: str, keys: Iterable[str]) -> str | None:
    matches = [key for key in keys if _is_under(url_key, key)]
    return max(matches, key=len, default=None)


def _env_credential(url_key: str, stored: dict[str, Any], server: str | None) -> Credential | None:
    token = os.environ.get("QUIVER_TOKEN", "").strip()
    if not token:
        return None
    pinned = os.environ.get("QUIVER_SERVER", "").strip()
    if pinned:
        pinned_key = _url_key(pinned)
        if pinned_key is None or not _is_under(url_key, pinned_key):
            return None
        server = pinned_key
    elif stored:
        if server is None:
            return None
    elif FEED_PATH_MARK in urlsplit(url_key).path + "/":
        parts = urlsplit(url_key)
        server = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    else:
        return None
    entry = stored.get(server, {})
    username = entry.get("username")
    return Credential(server, token, username if isinstance(username, str) else None)
