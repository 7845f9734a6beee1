"""Server settings, read from ``QUIVER_*`` environment variables.

The only place that knows about the environment: everything else receives a
``Settings`` instance from ``create_app`` or the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quiver.blobs.location import parse_storage_url
from quiver.domain.errors import Invalid
from quiver.domain.tokens import looks_like_token

MIB = 1024 * 1024
#: The most server processes ``quiver serve --workers`` runs on one host.
MAX_WORKERS = 64


class Settings(BaseSettings):
    """Configuration of one server process."""

    model_config = SettingsConfigDict(env_prefix="QUIVER_", extra="ignore", env_ignore_empty=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("./data")
    database_url: str | None = None
    base_url: str | None = None
    admin_token: str | None = Field(default=None, repr=False)
    max_upload_bytes: int = Field(default=500 * MIB, gt=0)
    max_metadata_bytes: int = Field(default=2 * MIB, gt=0)
    # What one request may make the server hold or wait for (docs/security.md, "Limits"):
    # the largest request body outside uploads (JSON, forms); how long a request head may
    # take to arrive; how long a body may stop arriving before the request is dropped.
    max_body_bytes: int = Field(default=1 * MIB, ge=1024)
    header_timeout_seconds: float = Field(default=20.0, gt=0, le=3600)
    body_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    page_cache_entries: int = Field(default=4096, gt=0)
    log_level: str = "info"
    # Device login (quiver login): how long a code lives, how often the CLI polls.
    device_code_seconds: int = Field(default=600, ge=1, le=3600)
    device_poll_seconds: int = Field(default=5, ge=1, le=60)
    # Unauthenticated sign-in flows (docs/security.md, "Tokens, sign-in and rates"): per
    # client address and server process, in memory, except device_pending_max, which
    # counts the codes waiting in the database (the whole server).
    device_starts_per_minute: int = Field(default=10, ge=1)
    device_pending_per_address: int = Field(default=20, ge=1)
    device_pending_max: int = Field(default=1000, ge=1)
    code_lookups_per_minute: int = Field(default=30, ge=1)
    sign_in_failures_per_address: int = Field(default=50, ge=1)  # per hour, any usernames
    # What the upstream name/address ``pypi`` means (docs/upstreams.md).
    pypi_url: str = "https://pypi.org/simple/"
    # Fetching from upstream indexes (services/upstreams/client.py, cache.py).
    upstream_ttl_seconds: float = Field(default=600, ge=0)
    upstream_negative_ttl_seconds: float = Field(default=60, ge=0)
    upstream_connect_timeout: float = Field(default=5.0, gt=0)
    upstream_read_timeout: float = Field(default=20.0, gt=0)
    upstream_max_page_bytes: int = Field(default=20 * MIB, gt=0)
    # How long past its TTL an upstream page is still served at once while it is
    # refreshed in the background (0: a request after the TTL waits for the refresh).
    upstream_stale_seconds: float = Field(default=3600, ge=0)
    # Feed lifecycle (docs/lifecycle.md): days a deleted version or feed stays in
    # the recycle bin before the scheduled purge removes it for good.
    recycle_bin_days: int = Field(default=30, ge=1, le=3650)
    # The scheduled lifecycle job (retention, recycle-bin purges): how often each
    # server process tries to run it (0: never; one process at a time runs it), and
    # how long a process that took it may run before another may take it over.
    jobs_interval_seconds: float = Field(default=3600, ge=0)
    jobs_lease_seconds: float = Field(default=1800, gt=0)
    # Several server processes (docs/deploy.md, "Several server processes"): how many
    # worker processes ``quiver serve`` runs on this host (on SQLite, above 1 each worker
    # watches the database file for the others' changes), and how long a process may
    # keep an access cache entry when no change notification reaches it.
    workers: int = Field(default=1, ge=1, le=MAX_WORKERS)
    access_cache_seconds: float = Field(default=5.0, gt=0)
    # Blob storage (docs/deploy.md, "Object storage (S3-compatible)"): None keeps files
    # under data_dir/blobs; ``file:///path`` or ``s3://bucket/prefix``. S3 credentials come
    # from the standard AWS sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, ...).
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # "auto": path-style requests when s3_endpoint_url is set (MinIO, Ceph), else the SDK's choice
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    s3_presigned_downloads: bool = False
    s3_presign_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    s3_multipart_threshold: int = Field(default=16 * MIB, ge=5 * MIB)
    s3_multipart_chunk: int = Field(default=16 * MIB, ge=5 * MIB, le=5 * 1024 * MIB)
    # Crash safety (docs/deploy.md, "Crash safety and fsck"): temporary files, unfinished
    # writes and unreferenced blobs younger than this may belong to an upload in flight in
    # another process, so startup cleanup and ``quiver admin fsck --repair`` leave them alone.
    orphan_grace_seconds: float = Field(default=3600, ge=0)
    # Operations (docs/deploy.md, "Monitoring"): log lines as text or one JSON object each;
    # a Bearer token /metrics requires (None: open); how long a stopping server lets
    # requests in flight (uploads) finish; how long each readiness check may take.
    log_format: Literal["text", "json"] = "text"
    metrics_token: str | None = Field(default=None, repr=False)
    shutdown_grace_seconds: int = Field(default=30, ge=0, le=24 * 3600)
    ready_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # Readiness says "not ready" while the data volume has less free space than this.
    min_free_bytes: int = Field(default=256 * 1024 * 1024, ge=0)

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str | None) -> str | None:
        if value is not None:
            parse_storage_url(value)
        return value

    @field_validator("admin_token")
    @classmethod
    def _check_admin_token(cls, value: str | None) -> str | None:
        if value is not None and not looks_like_token(value):
            raise ValueError(
                "must look like a Quiver token: qvr_ and 32 or more letters, digits, '-' or '_'."
            )
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_endpoint_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: the default SQLite file, or the configured one.

        ``postgresql://`` and ``sqlite://`` URLs are given their async drivers so
        users can write the URLs they know.
        """
        if not self.database_url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'quiver.db').resolve()}"
        url = self.database_url
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    """Settings from the environment with ``overrides`` on top.

    Raises ``Invalid`` with one line naming the variable (``QUIVER_PORT: ...``) when a
    value breaks its rule; the value itself is never quoted (it may be a secret).
    """
    try:
        return Settings(**dict(overrides or {}))  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        name = "QUIVER_" + "_".join(str(part) for part in first["loc"]).upper()
        message = str(first["msg"])
        if message.startswith("Value error, "):  # our own validators write a whole clause
            raise Invalid(f"{name} {message.removeprefix('Value error, ')}") from None
        raise Invalid(f"{name}: {message}") from None
