"""Errors raised by use cases; the API maps each to one HTTP status."""

from __future__ import annotations

import math


class ServiceError(Exception):
    """Base: ``str(err)`` is a one-line reason safe to show the caller.

    ``details`` are extra machine-readable keys for the JSON error body (never secrets).
    """

    status = 400

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.details = details


class Invalid(ServiceError):
    """The request breaks a rule (400)."""

    status = 400


class Unauthenticated(ServiceError):
    """No credentials, or credentials that are not valid (401)."""

    status = 401


class Forbidden(ServiceError):
    """The caller is known but lacks the right (403)."""

    status = 403


class NotFound(ServiceError):
    """The thing does not exist, or the caller may not know it does (404)."""

    status = 404


class Conflict(ServiceError):
    """The thing exists already or the state forbids the change (409)."""

    status = 409


class Gone(ServiceError):
    """The thing was deleted and waits in a recycle bin (410); the reason says how to restore."""

    status = 410


class TooLarge(ServiceError):
    """The request body is over a size limit (413)."""

    status = 413


class TooManyRequests(ServiceError):
    """Over a rate or count limit (429); ``retry_after`` is the whole seconds to wait.

    The message is ``message`` followed by when to try again.
    """

    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"{message} Try again in {self.retry_after} s.")


class StorageFull(ServiceError):
    """The disk or database holding the server's data is full (507); nothing was kept."""

    status = 507
