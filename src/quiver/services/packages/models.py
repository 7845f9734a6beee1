"""Tables: packages, versions, files and the record of every filename ever published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from quiver.db.base import Base, utcnow


class Package(Base):
    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("feed_id", "normalized_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    normalized_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "default" (upstream versions hidden once a version is published here) or
    # "allow-external-versions"; see docs/design/upstreams.md.
    upstream_behavior: Mapped[str] = mapped_column(
        String(32), default="default", server_default=text("'default'")
    )
    # When a version of it was first *published* here (None while it only has files
    # saved from upstreams). Never cleared: the dependency-confusion guard holds
    # even after every published version is deleted.
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class Version(Base):
    """A release of a package; ``canonical`` (PEP 440 normalized) is unique per package."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("package_id", "canonical"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("packages.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(100))
    canonical: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(String(512), default=None)
    yanked: Mapped[bool] = mapped_column(default=False)
    yanked_reason: Mapped[str | None] = mapped_column(String(512), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while the version is in the feed's recycle bin (it leaves every index);
    # who moved it there, by name, so the record outlives the account.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    deleted_by: Mapped[str | None] = mapped_column(String(64), default=None)


class File(Base):
    """One distribution file; its bytes live in the blob store under ``blob_key``."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("feed_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    packagetype: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32))
    blake2_256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(400))
    requires_python: Mapped[str | None] = mapped_column(String(255), default=None)
    metadata_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    metadata_blob_key: Mapped[str | None] = mapped_column(String(400), default=None)
    metadata_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # When it was published here; for a saved file, when the upstream says it was uploaded
    # there (installers filter on it: uv --exclude-newer), else when it was saved.
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "local" (published here) or "upstream" (saved from an upstream source, at
    # ``saved_at``); the name and URL stay when the upstream is removed.
    origin: Mapped[str] = mapped_column(String(16), default="local", server_default=text("'local'"))
    saved_at: Mapped[datetime | None] = mapped_column(default=None)
    # The upstream had yanked the file (PEP 592) when it was saved: it stays yanked here.
    upstream_yanked: Mapped[bool] = mapped_column(default=False, server_default=false())
    upstream_yanked_reason: Mapped[str | None] = mapped_column(String(512), default=None)
    # Where the core metadata bends the spec (domain.metadata): sentences, or None.
    metadata_warnings: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    upstream_id: Mapped[int | None] = mapped_column(
        ForeignKey("upstreams.id", ondelete="SET NULL"), default=None, index=True
    )
    upstream_name: Mapped[str | None] = mapped_column(String(64), default=None)
    source_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Downloads, counted in memory and written in batches off the request path.
    download_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    last_download_at: Mapped[datetime | None] = mapped_column(default=None)


class FilenameRecord(Base):
    """Every filename ever published to a feed: a name once used is never reused."""

    __tablename__ = "filename_records"
    __table_args__ = (UniqueConstraint("feed_id", "filename_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    filename_key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    first_published_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class BlobClaim(Base):
    """A writer's promise to record a row for ``blob_key`` soon: the blob must not be deleted.

    Written (committed) before the blob is put, removed in the transaction that records the
    file row; one left by a writer that died expires at ``expires_at`` (services.recycle.claims).
    """

    __tablename__ = "blob_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    blob_key: Mapped[str] = mapped_column(String(400), index=True)
    expires_at: Mapped[datetime] = mapped_column()
