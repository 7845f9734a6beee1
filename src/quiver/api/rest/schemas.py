"""Request and response bodies of the management REST API (they shape the OpenAPI document).

Requests refuse unknown fields, so a misspelt field is a 400 rather than silently ignored.
Responses never carry a token's secret or digest, except the one answer that creates it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Message(BaseModel):
    """Every error: one sentence saying what is wrong."""

    message: str


# Documented on every route; 400 replaces FastAPI's 422 (see quiver.api.errors).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "Invalid request"},
    401: {"model": Message, "description": "No valid token (WWW-Authenticate: Basic)"},
    403: {"model": Message, "description": "Known caller without the right"},
    404: {"model": Message, "description": "Not found, or not visible to the caller"},
    410: {"model": Message, "description": "The feed is in the recycle bin"},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Message, "description": "It exists already"}
}

ROLE_FIELD = Field(
    description="reader, collaborator, contributor or owner", examples=["contributor"]
)
VISIBILITY_FIELD = Field(
    default=None, description="private, organization or public", examples=["private"]
)


# --- users -----------------------------------------------------------------------------------


class UserCreate(Request):
    username: str = Field(examples=["alice"])
    is_admin: bool = False


class PasswordPut(Request):
    password: str = Field(description="8-1024 characters", repr=False)


class UserOut(BaseModel):
    username: str
    is_admin: bool
    created_at: datetime
    disabled: bool = Field(description="Disabled users' tokens and passwords are refused")
    disabled_at: datetime | None


class MeOut(BaseModel):
    """The caller, as the token presented says."""

    username: str
    is_admin: bool
    scope: str | None = Field(description="The presented token's scope")
    token_id: int | None


# --- tokens ----------------------------------------------------------------------------------


class TokenCreate(Request):
    name: str = Field(examples=["ci publish"])
    scope: str = Field(
        default="packaging:read",
        description="packaging:read, packaging:write or packaging:manage",
        examples=["packaging:write"],
    )
    user: str | None = Field(
        default=None, description="Create it for this user (administrators only)"
    )
    feeds: list[str] = Field(
        default_factory=list,
        description="Limit the token to these feeds (org/feed or org/project/feed)",
        examples=[["acme/libs"]],
    )
    expires_in_days: int | None = Field(
        default=None,
        description="Days until it expires (default: never); never later than the "
        "expiry of the token that creates it",
        examples=[90],
    )


class TokenOut(BaseModel):
    """A token's metadata: never its secret."""

    id: int
    name: str
    user: str
    hint: str = Field(description="The first characters of the token, to recognise it")
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    feeds: list[str] = Field(description="The feeds it is limited to; empty means all")


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret: shown this once, store it now")


# --- organizations and projects --------------------------------------------------------------


class OrgCreate(Request):
    name: str = Field(examples=["acme"])


class OrgOut(BaseModel):
    name: str
    created_at: datetime


class MemberPut(Request):
    role: str = Field(default="member", description="member or owner", examples=["member"])


class MemberOut(BaseModel):
    username: str
    role: str


class ProjectCreate(Request):
    name: str = Field(examples=["platform"])
    description: str | None = None


class ProjectOut(BaseModel):
    name: str
    org: str
    description: str | None
    created_at: datetime


# --- feeds -----------------------------------------------------------------------------------


class UpstreamCreate(Request):
    """An upstream source: an index by ``url`` (or ``pypi``), or a ``feed`` on this server."""

    name: str = Field(examples=["pypi"])
    url: str | None = Field(
        default=None,
        description="A PEP 503/691 simple index URL, or 'pypi' for the configured public index",
        examples=["https://pypi.org/simple/"],
    )
    feed: str | None = Field(
        default=None,
        description="Another feed of this server: ORG/FEED@VIEW or ORG/PROJECT/FEED@VIEW",
        examples=["acme/shared@local"],
    )
    username: str | None = Field(default=None, description="For an index that needs one")
    password: str | None = Field(
        default=None, description="For an index that needs one; never returned"
    )


class FeedCreate(Request):
    name: str = Field(examples=["libs"])
    description: str | None = None
    visibility: str = Field(
        default="private", description="private, organization or public", examples=["private"]
    )
    readers_can_save: bool = Field(
        default=False, description="Readers too save packages from upstream sources"
    )
    upstreams: list[UpstreamCreate] = Field(
        default_factory=list, description="Upstream sources, in order (at most 20)"
    )


class FeedUpdate(Request):
    """Only the fields given change; ``description: null`` clears the description."""

    description: str | None = None
    visibility: str | None = VISIBILITY_FIELD
    readers_can_save: bool | None = Field(
        default=None, description="Readers too save packages from upstream sources"
    )


class FeedOut(BaseModel):
    name: str
    ref: str = Field(examples=["acme/libs", "acme/platform/libs"])
    org: str
    project: str | None
    description: str | None
    visibility: str
    created_at: datetime
    your_role: str = Field(description="The caller's effective role on the feed")
    readers_can_save: bool = Field(
        description="Whether readers (not only collaborators and up) save from upstream sources"
    )
    index_url: str = Field(description="The pip/uv index URL (PEP 503/691)")
    upload_url: str = Field(description="The twine/uv publish URL")


class PermissionPut(Request):
    role: str = ROLE_FIELD


class PermissionOut(BaseModel):
    username: str
    role: str


# --- upstream sources and packages ----------------------------------------------------------


class UpstreamOut(BaseModel):
    """An upstream source; its password is never shown."""

    name: str
    position: int = Field(description="1-based place in the feed's list")
    kind: str = Field(description="index or feed")
    url: str | None = Field(description="The index URL (kind index)")
    follows_pypi: bool = Field(
        default=False,
        description="Added as 'pypi': the URL is QUIVER_PYPI_URL, and moves when it changes",
    )
    feed: str | None = Field(
        description="ORG/FEED@VIEW (kind feed)", examples=["acme/shared@local"]
    )
    username: str | None
    has_credentials: bool
    created_at: datetime


class UpstreamMove(Request):
    position: int = Field(description="The new 1-based place in the list", examples=[1])


class UpstreamingPut(Request):
    behavior: str = Field(
        description="default (upstream versions hidden once a version is published here) "
        "or allow-external-versions",
        examples=["allow-external-versions"],
    )


class UpstreamingOut(BaseModel):
    name: str
    behavior: str


class PackageOut(BaseModel):
    name: str
    normalized_name: str
    versions: int
    files: int
    saved_files: int = Field(description="Files saved from upstream sources")
    upstream_behavior: str


class VersionFileOut(BaseModel):
    filename: str
    packagetype: str
    size: int
    sha256: str
    origin: str = Field(description="local (published here) or upstream (saved)")
    upstream: str | None = Field(description="The upstream source it was saved from")
    source_url: str | None = Field(description="Where it was saved from")
    uploaded_at: datetime = Field(
        description="When it was published here; for a saved file, when the upstream says "
        "it was uploaded there (or, if the upstream did not say, when it was saved)"
    )
    saved_at: datetime | None = Field(default=None, description="When it was saved (upstream)")
    uploaded_by: str | None = Field(description="Who published it (local files)")
    download_count: int = Field(default=0, description="Downloads of the file")
    last_download_at: datetime | None = Field(default=None, description="The last download")
    yanked_upstream: bool = Field(
        default=False, description="The upstream had yanked it when it was saved"
    )
    yanked_upstream_reason: str | None = Field(default=None, description="The upstream's reason")
    requires_python: str | None = Field(
        default=None, description="As index pages show it (left out when it does not parse)"
    )
    metadata_warnings: list[str] = Field(
        default=[],
        description="Where the file's core metadata bends the spec (kept, never refused)",
    )


class VersionOut(BaseModel):
    version: str
    yanked: bool
    yanked_reason: str | None
    files: list[VersionFileOut]
    views: list[str] = Field(
        default=["local"], description="The views the version is in: local, then promotions"
    )
    download_count: int = Field(default=0, description="Downloads of all its files")
    last_download_at: datetime | None = Field(default=None, description="Its files' last download")


class YankPost(Request):
    reason: str | None = Field(
        default=None,
        description="Why it is yanked (at most 512 characters); installers show it",
        examples=["Breaks installs on Python 3.13: use 2.0.1"],
    )


class PackageVersionsOut(BaseModel):
    feed: str
    name: str
    normalized_name: str
    upstream_behavior: str
    versions: list[VersionOut]
