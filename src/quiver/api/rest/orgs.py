"""Organizations, their members and their projects."""

from __future__ import annotations

from fastapi import APIRouter, Response

from quiver.api.deps import ContextDep, PrincipalDep
from quiver.api.rest.schemas import (
    CONFLICT,
    ERRORS,
    MemberOut,
    MemberPut,
    OrgCreate,
    OrgOut,
    ProjectCreate,
    ProjectOut,
)
from quiver.services.orgs import service as orgs
from quiver.services.orgs.records import OrgInfo, ProjectInfo

router = APIRouter(responses=ERRORS)
ORGS = "/_apis/organizations"


def org_out(org: OrgInfo) -> OrgOut:
    return OrgOut(name=org.name, created_at=org.created_at)


def project_out(project: ProjectInfo, org: str) -> ProjectOut:
    return ProjectOut(
        name=project.name,
        org=org,
        description=project.description,
        created_at=project.created_at,
    )


@router.get(ORGS, tags=["organizations"])
async def list_orgs(ctx: ContextDep, principal: PrincipalDep) -> list[OrgOut]:
    """The organizations the caller belongs to (administrators: all)."""
    return [org_out(org) for org in await orgs.list_orgs(ctx, principal)]


@router.post(ORGS, tags=["organizations"], status_code=201, responses=CONFLICT)
async def create_org(ctx: ContextDep, principal: PrincipalDep, body: OrgCreate) -> OrgOut:
    """Create an organization (administrators); its creator becomes an owner."""
    return org_out(await orgs.create_org(ctx, principal, body.name))


@router.get(ORGS + "/{org}/members", tags=["organizations"])
async def list_members(ctx: ContextDep, principal: PrincipalDep, org: str) -> list[MemberOut]:
    """Members of the organization and their organization roles (members may look)."""
    members = await orgs.list_members(ctx, principal, org)
    return [MemberOut(username=member.username, role=member.role) for member in members]


@router.put(ORGS + "/{org}/members/{user}", tags=["organizations"])
async def put_member(
    ctx: ContextDep, principal: PrincipalDep, org: str, user: str, body: MemberPut
) -> MemberOut:
    """Add a user to the organization or change their role (organization owners)."""
    member = await orgs.add_member(ctx, principal, org, user, body.role)
    return MemberOut(username=user, role=member.role)


@router.delete(ORGS + "/{org}/members/{user}", tags=["organizations"], status_code=204)
async def remove_member(ctx: ContextDep, principal: PrincipalDep, org: str, user: str) -> Response:
    """Remove a user from the organization (organization owners)."""
    await orgs.remove_member(ctx, principal, org, user)
    return Response(status_code=204)


@router.get("/{org}/_apis/projects", tags=["projects"])
async def list_projects(ctx: ContextDep, principal: PrincipalDep, org: str) -> list[ProjectOut]:
    """The organization's projects (members may look)."""
    return [project_out(p, org) for p in await orgs.list_projects(ctx, principal, org)]


@router.post("/{org}/_apis/projects", tags=["projects"], status_code=201, responses=CONFLICT)
async def create_project(
    ctx: ContextDep, principal: PrincipalDep, org: str, body: ProjectCreate
) -> ProjectOut:
    """Create a project, a group of feeds inside the organization (organization owners)."""
    project = await orgs.create_project(ctx, principal, org, body.name, body.description)
    return project_out(project, org)
