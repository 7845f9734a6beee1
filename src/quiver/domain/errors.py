"""Every error Quiver raises on purpose: one root, one sentence a person can act on.

The tree (``api/errors.py`` maps each class to one HTTP status in one table; the CLI
prints ``str(err)`` and adds its own hint; nothing here knows about HTTP or commands)::

    QuiverError                 a rule or state refused the request
    ├── Invalid                 the input breaks a rule (also a ValueError, for parsers)
    │   └── BackupError         (services.maintenance) not a backup, or a damaged one
    ├── TooLarge                the input is over a size limit
    ├── Unauthenticated         no credentials, or credentials that are not valid
    ├── Forbidden               the caller is known but lacks the right
    ├── NotFound                the thing does not exist, or the caller may not know it does
    ├── Conflict                the thing exists already, or its state forbids the change
    │   ├── FileExists          (services.publish) a file of that name is in the feed
    │   └── VersionInBin        (services.recycle) the version waits in the recycle bin
    ├── Gone                    the thing waits in a recycle bin
    ├── TooManyRequests         over a rate or count limit; ``retry_after`` seconds
    ├── StorageFull             the disk or database holding the data is full; nothing kept
    ├── UpstreamError           an upstream index was unreachable, refused, or sent garbage
    ├── GrantError              (services.login) a device-login token request is refused
    └── NotReady                (services.health) a readiness check failed (never leaves it)
"""

from __future__ import annotations

import math


class QuiverError(Exception):
    """Root: ``str(err)`` is a one-line reason safe to show the caller.

    ``details`` are extra machine-readable keys for the JSON error body (never secrets).
    """

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.details = details


class Invalid(QuiverError, ValueError):
    """The input breaks a rule; a ``ValueError`` too, so validators in parsers may raise it."""


class TooLarge(QuiverError):
    """The input is over a size limit."""


class Unauthenticated(QuiverError):
    """No credentials, or credentials that are not valid."""


class Forbidden(QuiverError):
    """The caller is known but lacks the right."""


class NotFound(QuiverError):
    """The thing does not exist, or the caller may not know it does."""


class Conflict(QuiverError):
    """The thing exists already, or its state forbids the change."""


class Gone(QuiverError):
    """The thing was deleted and waits in a recycle bin; the reason says how to restore."""


class TooManyRequests(QuiverError):
    """Over a rate or count limit; ``retry_after`` is the whole seconds to wait.

    The message is ``message`` followed by when to try again.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"{message} Try again in {self.retry_after} s.")


class StorageFull(QuiverError):
    """The disk or database holding the server's data is full; nothing was kept."""


class UpstreamError(QuiverError):
    """An upstream index failed us: unreachable, refused, too large or garbage.

    ``str(err)`` is one line naming the upstream by its URL without credentials or
    query string, safe to show a caller and to log.
    """
