"""Guards for server-rendered forms: CSRF tokens and a same-origin check.

* ``FormGuard``: each rendered form gets a random nonce in a cookie
  (``SameSite=Strict``) and an HMAC-signed token over that nonce and the time in
  a hidden field; a POST must bring both, and the token must be young enough.
* ``same_origin``: a POST's ``Origin`` (or else ``Referer``), when sent, must name
  this host (or the configured base URL's).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request

from quiver.privatefs import private_dirs

FORM_KEY_FILE = "form-key"


def load_form_key(data_dir: Path) -> bytes:
    """The HMAC key for form tokens, kept in ``data_dir`` (created once, mode 0600).

    Processes sharing the data directory share the key; the file is created by
    linking a finished temporary file, so no process ever reads a partial key.
    """
    path = data_dir / FORM_KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        return bytes.fromhex(path.read_text().strip())
    private_dirs(data_dir)
    temporary = data_dir / f".{FORM_KEY_FILE}.{secrets.token_hex(8)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process was first: use its key
    finally:
        temporary.unlink()
    return bytes.fromhex(path.read_text().strip())


class FormGuard:
    """Issues and checks the (cookie nonce, form token) pairs of rendered forms."""

    def __init__(
        self, key: bytes, *, max_age: float = 3600, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = key
        self._max_age = max_age
        self._clock = clock

    def _sign(self, nonce: str, issued: int) -> str:
        return hmac.new(self._key, f"{nonce}.{issued}".encode(), hashlib.sha256).hexdigest()

    def issue(self) -> tuple[str, str]:
        """A fresh ``(nonce for the cookie, token for the hidden field)``."""
        nonce = secrets.token_urlsafe(16)
        return nonce, self.issue_for(nonce)

    def issue_for(self, nonce: str) -> str:
        """A token for ``nonce`` the caller already holds (a session's cookie secret)."""
        issued = int(self._clock())
        return f"{issued}.{self._sign(nonce, issued)}"

    def check(self, nonce: str | None, token: str | None) -> bool:
        """Whether ``token`` was issued with ``nonce`` no longer than ``max_age`` ago."""
        if not nonce or not token:
            return False
        issued_text, _, signature = token.partition(".")
        if not issued_text.isdigit():
            return False
        issued = int(issued_text)
        if not 0 <= self._clock() - issued <= self._max_age:
            return False
        return hmac.compare_digest(signature, self._sign(nonce, issued))


def same_origin(request: Request, base_url: str | None) -> bool:
    """False when the request says it comes from another site.

    ``Origin`` (else ``Referer``) must name the request's own host or the
    configured base URL's; a request sending neither passes (non-browser clients).
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True
    allowed = {request.headers.get("host", "").lower()}
    if base_url:
        allowed.add(urlsplit(base_url).netloc.rpartition("@")[2].lower())
    netloc = urlsplit(source).netloc.lower()
    return bool(netloc) and netloc in allowed
