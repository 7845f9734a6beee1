"""Packages of a feed: listing, versions with their origin, yanking, upstream behaviour,
and batch operations on many versions in one call, with a result per version.

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.errors import status_of
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import (
    ERRORS,
    PackageOut,
    PackageVersionsOut,
    Request,
    UpstreamingOut,
    UpstreamingPut,
    VersionFileOut,
    VersionOut,
    YankPost,
)
from quiver.domain.errors import NotFound
from quiver.domain.versions import MAX_BATCH, MAX_REASON
from quiver.services.context import Context
from quiver.services.packages import service as packages
from quiver.services.packages.records import Item, VersionEntry, YankState
from quiver.services.records import FeedRef, Principal
from quiver.services.upstreams import service as upstreams

router = APIRouter(tags=["packages"], responses=ERRORS)
PACKAGES = FEEDS + "/{feed}/packages"


@router.get(PACKAGES)
async def list_packages(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep
) -> list[PackageOut]:
    """The feed's packages with how many versions and files each has (readers)."""
    found = await packages.list_packages(ctx, principal, ref)
    return [
        PackageOut(
            name=item.name,
            normalized_name=item.normalized,
            versions=item.versions,
            files=item.files,
            saved_files=item.saved_files,
            upstream_behavior=item.upstream_behavior,
        )
        for item in found
    ]


@router.get(PACKAGES + "/{name}/versions")
async def list_versions(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str
) -> PackageVersionsOut:
    """Every version of the package with its files: published here or saved, and from where."""
    found = await packages.list_versions(ctx, principal, ref, name)
    return PackageVersionsOut(
        feed=found.feed,
        name=found.name,
        normalized_name=found.normalized,
        upstream_behavior=found.upstream_behavior,
        versions=[version_out(entry) for entry in found.versions],
    )


def version_out(entry: VersionEntry) -> VersionOut:
    return VersionOut(
        version=entry.version,
        yanked=entry.yanked,
        yanked_reason=entry.yanked_reason,
        views=list(entry.views),
        download_count=entry.download_count,
        last_download_at=entry.last_download_at,
        files=[
            VersionFileOut(
                filename=file.filename,
                packagetype=file.packagetype,
                size=file.size,
                sha256=file.sha256,
                origin=file.origin,
                upstream=file.upstream_name,
                source_url=file.source_url,
                uploaded_at=file.uploaded_at,
                uploaded_by=file.uploaded_by,
                download_count=file.download_count,
                last_download_at=file.last_download_at,
                saved_at=file.saved_at,
                yanked_upstream=file.upstream_yanked,
                yanked_upstream_reason=file.upstream_yanked_reason,
                requires_python=file.requires_python,
                metadata_warnings=list(file.metadata_warnings),
            )
            for file in entry.files
        ],
    )


VERSION = PACKAGES + "/{name}/versions/{version}"


class DependencyOut(BaseModel):
    requirement: str = Field(description="The Requires-Dist line as written")
    name: str | None = Field(description="The normalized name it needs; null if it does not parse")
    extra: str | None = Field(description="The extra it belongs to; null: always needed")


class ProjectUrlOut(BaseModel):
    label: str
    url: str = Field(description="Only http(s) URLs are listed")


class VersionDetailsOut(BaseModel):
    """A version for people. ``description`` is the package's raw README: untrusted text
    that a page must sanitize before showing it as HTML."""

    name: str
    version: str
    summary: str | None
    yanked: bool
    yanked_reason: str | None
    metadata_from: str | None = Field(description="The file the metadata was read from")
    description: str | None = None
    description_content_type: str | None = None
    license: str | None = None
    license_expression: str | None = None
    requires_python: str | None = None
    dependencies: list[DependencyOut] = []
    provides_extra: list[str] = []
    project_urls: list[ProjectUrlOut] = []
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    keywords: list[str] = []
    classifiers: list[str] = []


@router.get(VERSION)
async def version_details(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, version: str
) -> VersionDetailsOut:
    """One version's details from its core metadata: README, license, dependencies, URLs."""
    found = await packages.version_details(ctx, principal, ref, name, version)
    answer: dict[str, object] = {
        "name": found.name,
        "version": found.version,
        "summary": found.summary,
        "yanked": found.yanked,
        "yanked_reason": found.yanked_reason,
        "metadata_from": found.metadata_from,
    }
    if found.details is not None:
        answer |= asdict(found.details)
        answer["summary"] = found.summary or found.details.summary
        answer["project_urls"] = [
            {"label": label, "url": url} for label, url in found.details.project_urls
        ]
    return VersionDetailsOut.model_validate(answer)


@router.post(VERSION + "/yank")
async def yank_version(
    ctx: ContextDep,
    principal: PrincipalDep,
    ref: ManagedRefDep,
    name: str,
    version: str,
    body: YankPost | None = None,
) -> VersionOut:
    """Yank the version, every file of it (PEP 592; contributors).

    Installers then skip it unless a requirement pins it exactly. Yanking a yanked
    version replaces its reason.
    """
    reason = body.reason if body is not None else None
    state = await packages.yank(ctx, principal, ref, name, version, reason)
    return await _version(ctx, principal, ref, state)


@router.post(VERSION + "/unyank")
@router.delete(VERSION + "/yank")
async def unyank_version(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, version: str
) -> VersionOut:
    """Un-yank the version (contributors); nothing changes if it is not yanked."""
    state = await packages.unyank(ctx, principal, ref, name, version)
    return await _version(ctx, principal, ref, state)


async def _version(
    ctx: Context, principal: Principal, ref: FeedRef, state: YankState
) -> VersionOut:
    """The version as the versions listing shows it."""
    found = await packages.list_versions(ctx, principal, ref, state.name)
    for entry in found.versions:
        if entry.version == state.version:
            return version_out(entry)
    raise NotFound(f"Version {state.version} of {state.name} is not in feed {state.feed}.")


@router.get(PACKAGES + "/{name}/upstreaming")
async def get_upstreaming(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str
) -> UpstreamingOut:
    """The package's upstream behaviour (readers)."""
    found = await upstreams.get_package_upstreaming(ctx, principal, ref, name)
    return UpstreamingOut(name=found.name, behavior=found.behavior)


@router.put(PACKAGES + "/{name}/upstreaming")
async def set_upstreaming(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, body: UpstreamingPut
) -> UpstreamingOut:
    """Set the package's upstream behaviour (feed owners).

    ``default``: once a version is published here, upstream versions of the name
    are hidden. ``allow-external-versions``: they are shown beside the published ones.
    """
    found = await upstreams.set_package_upstreaming(ctx, principal, ref, name, body.behavior)
    return UpstreamingOut(name=found.name, behavior=found.behavior)


# --- batch operations ------------------------------------------------------------------

Operation = Literal["promote", "demote", "yank", "unyank", "delete", "restore", "purge"]


class BatchItem(Request):
    name: str = Field(examples=["foo-bar"])
    version: str = Field(examples=["1.0"])


class BatchPost(Request):
    operation: Operation
    view: str | None = Field(
        default=None, description="The view (promote and demote only)", examples=["release"]
    )
    reason: str | None = Field(
        default=None, description=f"Why (yank and delete only; at most {MAX_REASON} characters)"
    )
    versions: list[BatchItem] = Field(description=f"1 to {MAX_BATCH} versions")


class BatchResultOut(BaseModel):
    name: str
    version: str
    ok: bool
    status: int = Field(description="200, or the HTTP status this version alone would get")
    message: str | None = Field(description="Why it failed; null when it worked")


class BatchOut(BaseModel):
    results: list[BatchResultOut] = Field(description="One per version, in the order given")


@router.post(PACKAGES + "/batch")
async def run_batch(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, body: BatchPost
) -> BatchOut:
    """Promote, demote, yank, un-yank, delete, restore or purge many versions.

    Each version is done on its own, with the role its operation needs (contributors
    promote, yank and un-yank; owners demote, delete, restore and purge): one
    failure does not undo the others. The answer is 200 with a result per version.
    """
    results = await packages.run_batch(
        ctx,
        principal,
        ref,
        body.operation,
        [Item(item.name, item.version) for item in body.versions],
        view=body.view,
        reason=body.reason,
    )
    return BatchOut(
        results=[
            BatchResultOut(
                name=result.name,
                version=result.version,
                ok=result.ok,
                status=200 if result.error is None else status_of(result.error),
                message=None if result.error is None else str(result.error),
            )
            for result in results
        ]
    )


def mounted() -> APIRouter:
    return mount(router)
