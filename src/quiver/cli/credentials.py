"""Where ``quiver login`` keeps the server and token between commands.

For now a JSON file ``$XDG_CONFIG_HOME/quiver/credentials.json`` (default
``~/.config/quiver``), readable by its owner only. A later issue moves the token
to the system keyring; callers use only the functions below, so only this module
changes then.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "quiver"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def save_credentials(server: str, token: str) -> Path:
    """Store ``server`` and ``token`` (mode 0600, written whole or not at all)."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"server": server, "token": token}, handle)
        handle.write("\n")
    os.chmod(temporary, 0o600)  # in case the file existed with looser rights
    os.replace(temporary, path)
    return path


def load_credentials() -> tuple[str, str] | None:
    """The stored ``(server, token)``, or None when nothing (usable) is stored."""
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    server, token = data.get("server"), data.get("token")
    if isinstance(server, str) and isinstance(token, str) and server and token:
        return server, token
    return None


def delete_credentials() -> bool:
    """Forget the stored credentials; False if there were none."""
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True
