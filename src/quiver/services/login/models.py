"""Table: device-login requests, one per ``quiver login`` run."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base, utcnow


class DeviceStatus(enum.StrEnum):
    """Where a request stands; ``expired`` is computed on read, never stored."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    CONSUMED = "consumed"
    EXPIRED = "expired"


class DeviceCode(Base):
    """A device-login request. Only the device code's digest is stored, never the code."""

    __tablename__ = "device_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    scope: Mapped[int] = mapped_column(Integer)
    expires_in_days: Mapped[int] = mapped_column(Integer)
    client_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=DeviceStatus.PENDING.value)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("tokens.id", ondelete="SET NULL"), default=None
    )
    last_polled_at: Mapped[datetime | None] = mapped_column(default=None)

    def status_at(self, now: datetime) -> DeviceStatus:
        """The status as of ``now``: pending or approved requests past expiry are expired."""
        status = DeviceStatus(self.status)
        if status in (DeviceStatus.PENDING, DeviceStatus.APPROVED) and now >= self.expires_at:
            return DeviceStatus.EXPIRED
        return status


class WebSession(Base):
    """A browser signed in to the web pages; the cookie holds a secret, this its sha256.

    Ended by deleting the row (sign-out, the user disabled or deleted: cascade) or by
    ``expires_at``; ``last_seen_at`` moves forward as the session is used.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(64), default=None)
