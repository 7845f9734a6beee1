"""Packages of a feed: listing, versions with their origin, upstream behaviour.

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
)
from quiver.services.packages import versions as packages
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
        versions=[
            VersionOut(
                version=entry.version,
                yanked=entry.yanked,
                yanked_reason=entry.yanked_reason,
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
                    )
                    for file in entry.files
                ],
            )
            for entry in found.versions
        ],
    )


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
