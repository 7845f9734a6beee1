"""Password rules (users sign in with a password only to approve a device login)."""

from __future__ import annotations

from quiver.domain.errors import Invalid

PASSWORD_MIN = 8
PASSWORD_MAX = 1024


def check_password(password: str) -> str:
    """Return ``password`` if it may be set, else raise Invalid (never repeating it)."""
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"The password must be at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"The password must be at most {PASSWORD_MAX} characters.")
    if not password.strip():
        raise Invalid("The password must not be only whitespace.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise Invalid("The password must not contain control characters.")
    return password
