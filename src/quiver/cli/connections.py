"""Service connections: indexes outside Quiver that ``pip-authenticate`` and
``twine-authenticate`` add, with credentials taken from environment variables.

The file (``--connections FILE``, else ``$XDG_CONFIG_HOME/quiver/connections.toml``, default
``~/.config/quiver/connections.toml``) is TOML::

    [connections.corp-pypi]
    url = "https://pypi.corp.example/simple/"          # index, for pip-authenticate
    upload_url = "https://pypi.corp.example/upload/"   # for twine-authenticate (optional)
    username = "ci"                                    # or username_env = "VAR"; default "token"
    password_env = "CORP_PYPI_PASSWORD"                # or token_env; none: no credentials

The file names environment variables, never secrets, so it can be committed. Every problem
(missing file, unknown name, unset variable, misspelt key) is a :class:`ConfigError` (exit 2).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from quiver.cli.client import ConfigError

KEYS = frozenset({"url", "upload_url", "username", "username_env", "password_env", "token_env"})
DEFAULT_USERNAME = "token"


@dataclass(frozen=True)
class ServiceConnection:
    """One external index; ``password`` is the secret (None: anonymous)."""

    name: str
    url: str | None
    upload_url: str | None
    username: str
    password: str | None

    def index_url(self) -> str:
        """The index URL with credentials embedded; ConfigError when there is no ``url``."""
        if self.url is None:
            raise ConfigError(f"Service connection {self.name!r} has no url (an index URL).")
        return embed_credentials(self.url, self.username, self.password)

    def repository_url(self) -> str:
        """The upload URL; ConfigError when there is no ``upload_url``."""
        if self.upload_url is None:
            raise ConfigError(f"Service connection {self.name!r} has no upload_url to publish to.")
        return self.upload_url


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "quiver" / "connections.toml"


def embed_credentials(url: str, username: str, password: str | None) -> str:
    """``url`` with ``username:password@`` (both URL-quoted) in front of the host."""
    if password is None:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    userinfo = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def load_connections(
    names: Sequence[str], path: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[ServiceConnection]:
    """The connections ``names`` asks for, in that order (none asked: the file is not read)."""
    if not names:
        return []
    env = os.environ if environ is None else environ
    file = path or default_path()
    table = _read(file)
    found: list[ServiceConnection] = []
    for name in dict.fromkeys(names):
        entry = table.get(name)
        if entry is None:
            known = ", ".join(sorted(table)) or "none"
            raise ConfigError(f"No service connection {name!r} in {file} (it has: {known}).")
        if not isinstance(entry, dict):
            raise ConfigError(f"connections.{name} in {file} must be a table.")
        found.append(_connection(name, entry, file, env))
    return found


def _read(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"No connections file at {file}: create it or pass --connections FILE."
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Cannot read {file}: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file} is not valid TOML: {err}") from None
    table = data.get("connections", {})
    if not isinstance(table, dict):
        raise ConfigError(f"'connections' in {file} must be a table of [connections.NAME].")
    return table


def _connection(
    name: str, entry: dict[str, Any], file: Path, env: Mapping[str, str]
) -> ServiceConnection:
    where = f"connections.{name} in {file}"
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})."
        )
    for key, value in entry.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: {key} must be a non-empty string.")
    url = _url(where, "url", entry.get("url"))
    upload = _url(where, "upload_url", entry.get("upload_url"))
    if url is None and upload is None:
        raise ConfigError(f"{where}: give url (an index URL) or upload_url.")
    if "username" in entry and "username_env" in entry:
        raise ConfigError(f"{where}: give username or username_env, not both.")
    if "password_env" in entry and "token_env" in entry:
        raise ConfigError(f"{where}: give password_env or token_env, not both.")
    username = entry.get("username") or DEFAULT_USERNAME
    if "username_env" in entry:
        username = _from_env(where, entry["username_env"], env)
    secret_env = entry.get("password_env") or entry.get("token_env")
    password = _from_env(where, secret_env, env) if secret_env else None
    return ServiceConnection(name, url, upload, username, password)


def _url(where: str, key: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: {key} must be an http(s) URL.")
    if "@" in parts.netloc:
        raise ConfigError(
            f"{where}: {key} must not hold credentials; name an environment variable in "
            "password_env instead."
        )
    return value.strip()


def _from_env(where: str, variable: str, env: Mapping[str, str]) -> str:
    value = env.get(variable, "")
    if not value:
        raise ConfigError(f"{where}: the environment variable {variable} is not set.")
    return value
