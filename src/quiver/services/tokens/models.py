"""Tables: tokens and the feeds a token is limited to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiver.db.base import Base, utcnow
from quiver.domain.roles import Scope
from quiver.domain.tokens import token_digest, token_hint
from quiver.services.users.models import User


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    scope: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(lazy="joined")
    feeds: Mapped[list[TokenFeed]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @classmethod
    def issued(
        cls, user_id: int, name: str, secret: str, scope: Scope, expires_at: datetime | None
    ) -> Token:
        """A new row for ``secret``: only its digest and hint are kept, never the secret."""
        return cls(
            user_id=user_id,
            name=name,
            digest=token_digest(secret),
            hint=token_hint(secret),
            scope=int(scope),
            expires_at=expires_at,
        )


class TokenFeed(Base):
    """A feed a token is limited to; a token with none may reach every feed its user can."""

    __tablename__ = "token_feeds"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("tokens.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
