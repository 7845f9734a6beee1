"""Which system keyring the credential store may keep tokens in (docs/design/credentials.md).

The highest-priority real backend: never keyring's placeholders (fail, null), its
chainer, or ``quiver_keyring``'s own backend. A keyring that fails counts as none.
"""

from __future__ import annotations

import keyring
from keyring.backend import KeyringBackend, get_all_keyring

# Backends that store nothing: keyring's placeholders and its chainer (which also
# reaches our own backend). Ours is recognised by its module.
_NOT_REAL = frozenset(
    {
        "keyring.backends.fail.Keyring",
        "keyring.backends.null.Keyring",
        "keyring.backends.chainer.ChainerBackend",
    }
)


def _is_real(backend: KeyringBackend) -> bool:
    kind = type(backend)
    name = f"{kind.__module__}.{kind.__qualname__}"
    return name not in _NOT_REAL and not kind.__module__.startswith("quiver_keyring")


def real_keyring() -> KeyringBackend | None:
    """The system keyring to keep tokens in, or None when no real one works.

    The configured backend (``keyring.get_keyring()``) when it is a real one;
    ``null`` configured means "no keyring" (None); otherwise (fail, chainer, ours)
    the highest-priority viable backend that is not ours, fail, null or chainer.
    """
    try:
        current = keyring.get_keyring()
    except Exception:
        return None
    if _is_real(current):
        return current
    if type(current).__module__ == "keyring.backends.null":
        return None
    try:
        candidates = [b for b in get_all_keyring() if _is_real(b) and b.priority > 0]
    except Exception:
        return None
    return max(candidates, key=lambda b: b.priority, default=None)
