"""Table: one lease per scheduled job, so a job runs once at a time in the cluster."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base


class JobLease(Base):
    """Who runs job ``name`` until ``expires_at``, and when it last started and finished."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_started_at: Mapped[datetime | None] = mapped_column(default=None)
    last_finished_at: Mapped[datetime | None] = mapped_column(default=None)
    runs: Mapped[int] = mapped_column(default=0)
