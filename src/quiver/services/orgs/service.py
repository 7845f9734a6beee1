"""Use cases for organizations, their members and their projects."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quiver.domain.errors import Conflict, Forbidden, Invalid, NotFound
from quiver.domain.names import name_key, validate_slug
from quiver.domain.roles import Scope
from quiver.services.context import Context
from quiver.services.orgs.models import Organization, OrgMember, Project
from quiver.services.records import Principal
from quiver.services.users.models import User
from quiver.services.users.service import get_user, require_admin

ORG_ROLES = ("member", "owner")


def _valid(kind: str, name: str) -> str:
    try:
        return validate_slug(kind, name)
    except Invalid as err:
        raise Invalid(str(err)) from None


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


async def create_org(ctx: Context, principal: Principal, name: str) -> Organization:
    require_admin(principal)
    principal.require_scope(Scope.MANAGE)
    org = Organization(name=_valid("Organization", name), name_key=name_key(name))
    async with ctx.sessions() as session:
        session.add(org)
        try:
            await session.flush()
            session.add(OrgMember(org_id=org.id, user_id=principal.user_id, role="owner"))
            await session.commit()
        except IntegrityError:
            raise Conflict(f"Organization {name} already exists.") from None
    return org


async def list_orgs(ctx: Context, principal: Principal) -> Sequence[Organization]:
    user_id = principal.require_user()
    async with ctx.sessions() as session:
        query = select(Organization).order_by(Organization.name_key)
        if not principal.is_admin:
            query = query.join(OrgMember, OrgMember.org_id == Organization.id).where(
                OrgMember.user_id == user_id
            )
        return (await session.scalars(query)).all()


async def add_member(
    ctx: Context, principal: Principal, org_name: str, username: str, role: str = "member"
) -> OrgMember:
    """Add a user to the organization, or change their organization role."""
    if role not in ORG_ROLES:
        raise Invalid(f"Unknown organization role {role!r}: use member or owner.")
    async with ctx.sessions() as session, session.begin():
        org = await managed_org(session, principal, org_name)
        user = await get_user(session, username)
        member = await session.get(OrgMember, (org.id, user.id))
        if member is None:
            member = OrgMember(org_id=org.id, user_id=user.id, role=role)
            session.add(member)
        member.role = role
    ctx.access.invalidate()
    return member


async def remove_member(ctx: Context, principal: Principal, org_name: str, username: str) -> None:
    async with ctx.sessions() as session, session.begin():
        org = await managed_org(session, principal, org_name)
        user = await get_user(session, username)
        member = await session.get(OrgMember, (org.id, user.id))
        if member is None:
            raise NotFound(f"{user.username} is not a member of {org.name}.")
        await session.delete(member)
    ctx.access.invalidate()


async def list_members(
    ctx: Context, principal: Principal, org_name: str
) -> Sequence[tuple[User, OrgMember]]:
    async with ctx.sessions() as session:
        org = await visible_org(session, principal, org_name)
        rows = await session.execute(
            select(User, OrgMember)
            .join(OrgMember, OrgMember.user_id == User.id)
            .where(OrgMember.org_id == org.id)
            .order_by(User.username_key)
        )
        return [(user, member) for user, member in rows]


async def create_project(
    ctx: Context, principal: Principal, org_name: str, name: str, description: str | None = None
) -> Project:
    _valid("Project", name)
    if description is not None and len(description) > 255:
        raise Invalid("Description must be at most 255 characters.")
    async with ctx.sessions() as session:
        org = await managed_org(session, principal, org_name)
        org_label = org.name  # a failed commit expires ``org``
        project = Project(
            org_id=org.id, name=name, name_key=name_key(name), description=description
        )
        session.add(project)
        try:
            await session.commit()
        except IntegrityError:
            raise Conflict(f"Project {org_label}/{name} already exists.") from None
    return project


async def list_projects(ctx: Context, principal: Principal, org_name: str) -> Sequence[Project]:
    async with ctx.sessions() as session:
        org = await visible_org(session, principal, org_name)
        query = select(Project).where(Project.org_id == org.id).order_by(Project.name_key)
        return (await session.scalars(query)).all()


async def get_project(session: AsyncSession, org: Organization, name: str) -> Project:
    project = await session.scalar(
        select(Project).where(Project.org_id == org.id, Project.name_key == name_key(name))
    )
    if project is None:
        raise NotFound(f"Project {org.name}/{name} does not exist.")
    return project
