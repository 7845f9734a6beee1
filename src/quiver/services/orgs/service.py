"""Use cases for organizations, their members and their projects."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, Forbidden, Invalid, NotFound
from quiver.domain.names import name_key, validate_slug
from quiver.domain.roles import ORG_ROLES, Scope
from quiver.services.context import Context
from quiver.services.orgs.models import Organization, OrgMember, Project
from quiver.services.orgs.records import MemberInfo, OrgInfo, ProjectInfo
from quiver.services.records import Principal
from quiver.services.unitofwork import unit_of_work
from quiver.services.users.models import User
from quiver.services.users.service import get_user, require_admin


def _valid(kind: str, name: str) -> str:
    return validate_slug(kind, name)


async def get_org(session: AsyncSession, name: str) -> Organization:
    org = await session.scalar(select(Organization).where(Organization.name_key == name_key(name)))
    if org is None:
        raise NotFound(f"Organization {name} does not exist.")
    return org


async def org_role(session: AsyncSession, org: Organization, principal: Principal) -> str | None:
    """``owner`` for administrators and organization owners, ``member``, or None."""
    if principal.is_admin:
        return "owner"
    if principal.user_id is None:
        return None
    return await session.scalar(
        select(OrgMember.role).where(
            OrgMember.org_id == org.id, OrgMember.user_id == principal.user_id
        )
    )


async def visible_org(session: AsyncSession, principal: Principal, name: str) -> Organization:
    """The organization, if the caller is a member (administrators see all)."""
    principal.require_user()
    org = await get_org(session, name)
    if await org_role(session, org, principal) is None:
        raise NotFound(f"Organization {name} does not exist.")
    return org


async def managed_org(session: AsyncSession, principal: Principal, name: str) -> Organization:
    """The organization, if the caller may manage it (owners and administrators)."""
    org = await visible_org(session, principal, name)
    if await org_role(session, org, principal) != "owner":
        raise Forbidden(f"You need to be an owner of organization {org.name} to do this.")
    principal.require_scope(Scope.MANAGE)
    return org


def _org_info(org: Organization) -> OrgInfo:
    return OrgInfo(name=org.name, created_at=org.created_at)


def _project_info(project: Project) -> ProjectInfo:
    return ProjectInfo(
        name=project.name, description=project.description, created_at=project.created_at
    )


async def create_org(ctx: Context, principal: Principal, name: str) -> OrgInfo:
    """Create an organization (administrators); its creator becomes an owner."""
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    org = Organization(name=_valid("Organization", name), name_key=name_key(name))
    try:
        async with unit_of_work(ctx) as work:
            work.session.add(org)
            await work.session.flush()
            work.session.add(OrgMember(org_id=org.id, user_id=principal.user_id, role="owner"))
            await work.session.flush()
    except IntegrityError:
        raise Conflict(f"Organization {name} already exists.") from None
    return _org_info(org)


async def list_orgs(ctx: Context, principal: Principal) -> list[OrgInfo]:
    """The organizations the caller belongs to (administrators: all), by name."""
    user_id = principal.require_user()
    async with ctx.sessions() as session:
        query = select(Organization).order_by(Organization.name_key)
        if not principal.is_admin:
            query = query.join(OrgMember, OrgMember.org_id == Organization.id).where(
                OrgMember.user_id == user_id
            )
        return [_org_info(org) for org in await session.scalars(query)]


async def add_member(
    ctx: Context, principal: Principal, org_name: str, username: str, role: str = "member"
) -> MemberInfo:
    """Add a user to the organization, or change their organization role (owners)."""
    if role not in ORG_ROLES:
        raise Invalid(f"Unknown organization role {role!r}: use {' or '.join(ORG_ROLES)}.")
    async with unit_of_work(ctx) as work:
        session = work.session
        org = await managed_org(session, principal, org_name)
        user = await get_user(session, username)
        member = await session.get(OrgMember, (org.id, user.id))
        if member is None:
            member = OrgMember(org_id=org.id, user_id=user.id, role=role)
            session.add(member)
        member.role = role
        return MemberInfo(username=user.username, role=role)


async def remove_member(ctx: Context, principal: Principal, org_name: str, username: str) -> None:
    """Remove a user from the organization (owners); NotFound when not a member."""
    async with unit_of_work(ctx) as work:
        session = work.session
        org = await managed_org(session, principal, org_name)
        user = await get_user(session, username)
        member = await session.get(OrgMember, (org.id, user.id))
        if member is None:
            raise NotFound(f"{user.username} is not a member of {org.name}.")
        await session.delete(member)


async def list_members(ctx: Context, principal: Principal, org_name: str) -> list[MemberInfo]:
    """Members of the organization and their roles, by user name (members may look)."""
    async with ctx.sessions() as session:
        org = await visible_org(session, principal, org_name)
        rows = await session.execute(
            select(User.username, OrgMember.role)
            .join(OrgMember, OrgMember.user_id == User.id)
            .where(OrgMember.org_id == org.id)
            .order_by(User.username_key)
        )
        return [MemberInfo(username=username, role=role) for username, role in rows]


async def create_project(
    ctx: Context, principal: Principal, org_name: str, name: str, description: str | None = None
) -> ProjectInfo:
    """Create a project in the organization (owners); Conflict when the name is taken."""
    _valid("Project", name)
    if description is not None and len(description) > 255:
        raise Invalid("Description must be at most 255 characters.")
    org_label = org_name
    try:
        async with unit_of_work(ctx) as work:
            org = await managed_org(work.session, principal, org_name)
            org_label = org.name
            project = Project(
                org_id=org.id, name=name, name_key=name_key(name), description=description
            )
            work.session.add(project)
            await work.session.flush()
    except IntegrityError:
        raise Conflict(f"Project {org_label}/{name} already exists.") from None
    return _project_info(project)


async def list_projects(ctx: Context, principal: Principal, org_name: str) -> list[ProjectInfo]:
    """The organization's projects, by name (members may look)."""
    async with ctx.sessions() as session:
        org = await visible_org(session, principal, org_name)
        query = select(Project).where(Project.org_id == org.id).order_by(Project.name_key)
        return [_project_info(project) for project in await session.scalars(query)]


async def get_project(session: AsyncSession, org: Organization, name: str) -> Project:
    project = await session.scalar(
        select(Project).where(Project.org_id == org.id, Project.name_key == name_key(name))
    )
    if project is None:
        raise NotFound(f"Project {org.name}/{name} does not exist.")
    return project
