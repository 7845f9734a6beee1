"""Codes of the device-login flow (RFC 8628 shape).

The *device code* is the CLI's secret (kept only as a SHA-256 digest); the *user
code* is what a person reads off the terminal and types: 8 letters from an
alphabet without vowels or look-alikes, shown as ``XXXX-XXXX``.
"""

from __future__ import annotations

import secrets

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_TOKEN_DAYS = 90  # lifetime of a device-login token when none is asked for
CLIENT_NAME_MAX = 100  # characters in the client name shown on the approval page


def new_device_code() -> str:
    """The CLI's secret for polling (256 bits)."""
    return secrets.token_urlsafe(32)


def new_user_code() -> str:
    """A fresh user code in stored (normalized) form: 8 letters, no dash."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def normalize_user_code(text: str) -> str | None:
    """The stored form of a typed code (case, dashes and spaces ignored), or None."""
    code = "".join(ch for ch in text.upper() if ch not in "- \t")
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return None
    return code


def display_user_code(code: str) -> str:
    """``XXXXXXXX`` as people read it: ``XXXX-XXXX``."""
    half = USER_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"
