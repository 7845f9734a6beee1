"""What the device login returns: frozen, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiver.domain.roles import Scope
from quiver.services.tokens.records import TokenInfo


@dataclass(frozen=True)
class DeviceStart:
    """A new request: ``device_code`` is the CLI's secret, shown to it only."""

    device_code: str
    user_code: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class DeviceRequest:
    """What the approval page shows about a request."""

    user_code: str
    scope: Scope
    expires_in_days: int
    client_name: str
    expires_at: datetime


@dataclass(frozen=True)
class Granted:
    """The token a request turned into: ``secret`` is shown this once."""

    secret: str
    token: TokenInfo
    username: str


@dataclass(frozen=True)
class StartedSession:
    """A new web session: ``secret`` goes in the cookie (only its digest is stored)."""

    secret: str
    expires_at: datetime
