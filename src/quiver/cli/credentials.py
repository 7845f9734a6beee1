"""Where ``quiver login`` keeps servers and tokens between commands.

A thin layer over ``quiver_keyring.store`` (docs/design/credentials.md), the store the
keyring backend reads too: tokens go to the system keyring when a real one
works, otherwise into ``$XDG_CONFIG_HOME/quiver/credentials.json`` (mode 0600).
"""

from __future__ import annotations

from pathlib import Path

from quiver_keyring import store


def credentials_path() -> Path:
    return store.credentials_path()


def save_credentials(server: str, token: str, username: str | None = None) -> str:
    """Keep ``token`` for ``server`` (now the default server); say where, for people.

    Returns "the system keyring" or "file PATH".
    """
    where = store.save(server, token, username)
    return "the system keyring" if where == "keyring" else f"file {credentials_path()}"


def load_credentials(server: str | None = None) -> tuple[str, str] | None:
    """The stored ``(server, token)`` for ``server`` (default: the default server)."""
    credential = store.load(server)
    return None if credential is None else (credential.server, credential.token)


def delete_credentials(server: str | None = None) -> bool:
    """Forget ``server`` (default: the default server); False if it was not stored."""
    return store.remove(server)
