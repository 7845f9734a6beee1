"""Packages of a feed: listing, versions with their origin, yanking, upstream behaviour.

Mounted like the feed routes, under ``/{org}`` and ``/{org}/{project}``.
"""

from __future__ import annotations

from fastapi import APIRouter

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.feeds import FEEDS, ManagedRefDep, mount
from quiver.api.rest.schemas import (
    ERRORS,
    PackageOut,
    PackageVersionsOut,
    UpstreamingOut,
    UpstreamingPut,
    VersionFileOut,
    VersionOut,
    YankPost,
)
from quiver.domain.errors import NotFound
from quiver.services.context import Context
from quiver.services.packages import queries as packages
from quiver.services.packages import yank as yanking
from quiver.services.packages.queries import VersionEntry
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
    state = await yanking.yank(ctx, principal, ref, name, version, reason)
    return await _version(ctx, principal, ref, state)


@router.post(VERSION + "/unyank")
@router.delete(VERSION + "/yank")
async def unyank_version(
    ctx: ContextDep, principal: PrincipalDep, ref: ManagedRefDep, name: str, version: str
) -> VersionOut:
    """Un-yank the version (contributors); nothing changes if it is not yanked."""
    state = await yanking.unyank(ctx, principal, ref, name, version)
    return await _version(ctx, principal, ref, state)


async def _version(
    ctx: Context, principal: Principal, ref: FeedRef, state: yanking.YankState
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


def mounted() -> APIRouter:
    return mount(router)
