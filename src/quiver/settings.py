"""Server settings, read from ``QUIVER_*`` environment variables.

The only place that knows about the environment: everything else receives a
``Settings`` instance from ``create_app`` or the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from quiver.blobs.location import parse_storage_url
from quiver.domain.errors import Invalid
from quiver.domain.tokens import looks_like_token

MIB = 1024 * 1024
#: The most server processes ``quiver serve --workers`` runs on one host.
MAX_WORKERS = 64
#: The variables ``forwarded_allow_ips`` is read from, first found first.
FORWARDED_ALLOW_IPS_NAMES = ("QUIVER_FORWARDED_ALLOW_IPS", "FORWARDED_ALLOW_IPS")


class _EmptyForwardedAllowIps(PydanticBaseSettingsSource):
    """``forwarded_allow_ips=""`` when its variable is set but empty.

    An empty value means "believe no proxy" (uvicorn's meaning, documented in
    docs/operations/security.md), but ``env_ignore_empty`` would turn it into the default.
    Last among the sources, so a non-empty value always wins.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = [os.environ.get(name) for name in FORWARDED_ALLOW_IPS_NAMES]
        if "" in values and not any(values):
            return {"forwarded_allow_ips": ""}
        return {}


class Settings(BaseSettings):
    """Configuration of one server process."""

    model_config = SettingsConfigDict(env_prefix="QUIVER_", extra="ignore", env_ignore_empty=True)

    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port the server listens on.")
    data_dir: Path = Field(
        default=Path("./data"),
        description="Directory of the SQLite database, the blobs and temporary uploads.",
    )
    database_url: str | None = Field(
        default=None,
        description="Database URL, e.g. `postgresql://user@host:5432/quiver` "
        "(unset: SQLite in the data directory).",
    )
    base_url: str | None = Field(
        default=None,
        description="Public URL used in absolute links of REST answers (unset: from the request).",
    )
    admin_token: str | None = Field(
        default=None,
        repr=False,
        description="The first administrator's token, used on the first start only "
        "(`qvr_` and 32 or more characters; unset: random).",
    )
    max_upload_bytes: int = Field(
        default=500 * MIB, gt=0, description="Largest distribution file accepted, in bytes."
    )
    max_metadata_bytes: int = Field(
        default=2 * MIB,
        gt=0,
        description="Largest core metadata file (`METADATA`, `PKG-INFO`) read from a "
        "distribution, in bytes.",
    )
    # What one request may make the server hold or wait for (docs/operations/security.md,
    # "Limits").
    max_body_bytes: int = Field(
        default=1 * MIB,
        ge=1024,
        description="Largest request body outside uploads (JSON, forms), in bytes; "
        "more is answered 413.",
    )
    header_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="How long a request head may take to arrive before the connection is closed.",
    )
    body_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long a request body may stop arriving before the request is answered 408.",
    )
    page_cache_entries: int = Field(
        default=4096,
        gt=0,
        description="Rendered index pages each server process keeps in memory.",
    )
    log_level: str = Field(
        default="info", description="Server log level (`debug`, `info`, `warning`, `error`)."
    )
    device_code_seconds: int = Field(
        default=600,
        ge=1,
        le=3600,
        description="How long a `quiver login` code may wait for approval.",
    )
    device_poll_seconds: int = Field(
        default=5,
        ge=1,
        le=60,
        description="How often `quiver login` asks whether its code was approved.",
    )
    # Unauthenticated sign-in flows (docs/operations/security.md, "Tokens, sign-in and
    # rates"): per client address and server process, in memory, except
    # device_pending_max, which counts the codes waiting in the database.
    device_starts_per_minute: int = Field(
        default=10,
        ge=1,
        description="`quiver login` starts one client address may make a minute; "
        "then 429 with `Retry-After`.",
    )
    device_pending_per_address: int = Field(
        default=20,
        ge=1,
        description="Login codes one client address may have waiting at once "
        "(codes count until they expire).",
    )
    device_pending_max: int = Field(
        default=1000,
        ge=1,
        description="Login codes that may wait for approval at once on the whole server.",
    )
    code_lookups_per_minute: int = Field(
        default=30,
        ge=1,
        description="Login codes one client address may look up (approval page, form) a minute.",
    )
    sign_in_failures_per_address: int = Field(
        default=50,
        ge=1,
        description="Failed password sign-ins allowed from one client address an hour, "
        "whatever the usernames.",
    )
    pypi_url: str = Field(
        default="https://pypi.org/simple/",
        description="What the upstream source `pypi` means (point it at an internal mirror "
        "and every feed given `pypi` follows).",
    )
    upstream_ttl_seconds: float = Field(
        default=600,
        ge=0,
        description="How long an upstream's package page is used before asking again.",
    )
    upstream_negative_ttl_seconds: float = Field(
        default=60, ge=0, description='How long "the upstream does not have it" is remembered.'
    )
    upstream_connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to connect to an upstream, per request."
    )
    upstream_read_timeout: float = Field(
        default=20.0, gt=0, description="Seconds to wait for an upstream's answer, per request."
    )
    upstream_max_page_bytes: int = Field(
        default=20 * MIB,
        gt=0,
        description="Largest upstream package page read, in bytes.",
    )
    upstream_stale_seconds: float = Field(
        default=3600,
        ge=0,
        description="How long past its TTL an upstream page is still served while it is "
        "refreshed in the background (`0`: wait for the refresh).",
    )
    recycle_bin_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days a deleted version or feed can be restored before it is purged.",
    )
    # The scheduled lifecycle job runs in one server process at a time.
    jobs_interval_seconds: float = Field(
        default=3600,
        ge=0,
        description="How often the scheduled job (retention, recycle-bin purges) runs; "
        "`0` turns it off.",
    )
    jobs_lease_seconds: float = Field(
        default=1800,
        gt=0,
        description="How long a process that died while running the scheduled job keeps "
        "others from taking over.",
    )
    # Several server processes (docs/operations/deploy.md, "Several server processes"):
    # on SQLite, above 1 worker each watches the database file for the others' changes.
    workers: int = Field(
        default=1,
        ge=1,
        le=MAX_WORKERS,
        description=f"Worker processes `quiver serve` runs on one port (1-{MAX_WORKERS}).",
    )
    access_cache_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a process may keep an access cache entry when no change "
        "notification reaches it.",
    )
    # Blob storage (docs/operations/deploy.md, "Object storage (S3-compatible)"). S3
    # credentials come from the standard AWS sources (AWS_ACCESS_KEY_ID, profiles, ...).
    storage_url: str | None = Field(
        default=None,
        description="Where files are kept: `s3://BUCKET/PREFIX` or `file:///ABSOLUTE/PATH` "
        "(unset: `blobs/` in the data directory).",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="The S3 store's URL for anything but AWS, e.g. `http://127.0.0.1:9000`.",
    )
    s3_region: str | None = Field(
        default=None,
        description="The bucket's region (unset: the standard AWS sources; R2 wants `auto`).",
    )
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto",
        description="`path` or `virtual` S3 requests; `auto` is `path` when an endpoint URL "
        "is set and the SDK's choice otherwise.",
    )
    s3_presigned_downloads: bool = Field(
        default=False,
        description="Answer downloads with `307` to a short-lived presigned URL of the store "
        "instead of streaming the bytes.",
    )
    s3_presign_seconds: int = Field(
        default=300,
        ge=1,
        le=7 * 24 * 3600,
        description="How long a presigned download URL is valid.",
    )
    s3_multipart_threshold: int = Field(
        default=16 * MIB,
        ge=5 * MIB,
        description="Files from this size on are uploaded to S3 in parts, in bytes.",
    )
    s3_multipart_chunk: int = Field(
        default=16 * MIB,
        ge=5 * MIB,
        le=5 * 1024 * MIB,
        description="The size of each part of an S3 multipart upload, in bytes.",
    )
    # Crash safety (docs/operations/deploy.md, "Crash safety and fsck"): younger files may
    # belong to an upload in flight in another process.
    orphan_grace_seconds: float = Field(
        default=3600,
        ge=0,
        description="Temporary files and unreferenced blobs younger than this are left alone "
        "by start-up clean-up and `quiver admin fsck --repair`.",
    )
    # Operations (docs/operations/deploy.md, "Monitoring").
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per log line (access log included).",
    )
    metrics_token: str | None = Field(
        default=None,
        repr=False,
        description="The Bearer token `/metrics` requires (unset: open).",
    )
    shutdown_grace_seconds: int = Field(
        default=30,
        ge=0,
        le=24 * 3600,
        description="On SIGTERM, how long requests in flight (uploads) may take to finish.",
    )
    ready_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How long each check of `/_apis/health/ready` may take.",
    )
    min_free_bytes: int = Field(
        default=256 * MIB,
        ge=0,
        description="`/_apis/health/ready` answers 503 while the data volume has less free "
        "space than this; a full volume makes writes answer 507.",
    )
    # uvicorn's own variable name is accepted too, as it was before this setting existed.
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices(*FORWARDED_ALLOW_IPS_NAMES, "forwarded_allow_ips"),
        description="Addresses (comma-separated, or `*`) whose `X-Forwarded-For`/`-Proto` "
        "headers are believed: the reverse proxy; empty: none.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, then one that keeps an empty ``FORWARDED_ALLOW_IPS``."""
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            file_secret_settings,
            _EmptyForwardedAllowIps(settings_cls),
        )

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
        # pydantic prefixes our validators' sentences with its own words; drop them
        message = str(first["msg"]).removeprefix("Value error, ")
        raise Invalid(f"{name}: {message}") from None
