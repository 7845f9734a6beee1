"""Organization and project pages: ``/{org}`` (its projects, its feeds, its members and
their roles) and ``/{org}/{project}`` (its feeds); owners add, change and remove members
and create projects and feeds.

Access is the services': the feeds listed are those the viewer may read
(``feeds.list_feeds``); members and projects show to whom ``orgs.list_members`` and
``orgs.list_projects`` show them (the organization's members and administrators); an
anonymous visitor who may read nothing here is asked to sign in (401). The forms post to
``/{org}/_members``, ``/{org}/_members/remove``, ``/{org}/_projects``, ``/{org}/_feeds``
and ``/{org}/{project}/_feeds``, and a new organization's (home page) to ``/_orgs``;
each service call decides who may.

``pages.py`` includes this router last: ``/{org}`` and ``/{org}/{project}`` match any one
or two path segments, so every other page comes first. A segment starting with ``_`` is
never an organization or project name: it stays the plain (JSON) 404 it was before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.web import error_page, feed_path, page, redirect, viewer
from quiver.domain.errors import Forbidden, NotFound, QuiverError, Unauthenticated
from quiver.domain.names import name_key
from quiver.domain.roles import ORG_ROLES, Visibility
from quiver.services.context import Context
from quiver.services.feeds import service as feeds
from quiver.services.feeds.records import FeedDetails
from quiver.services.orgs import service as orgs
from quiver.services.orgs.records import MemberInfo
from quiver.services.records import FeedRef, Principal
from quiver.services.upstreams import service as upstreams

router = APIRouter(include_in_schema=False)
VISIBILITIES = [visibility.value for visibility in Visibility]


@dataclass(frozen=True)
class ProjectRow:
    """A project as the pages list it (no description when the viewer is not a member)."""

    name: str
    description: str | None = None


def _not_reserved(*segments: str) -> None:
    """NotFound, answered as JSON by the app, for paths no organization can have."""
    if any(segment.startswith("_") for segment in segments):
        raise NotFound("Nothing here.")


def org_path(org: str, project: str | None = None) -> str:
    """The URL path of an organization's (or one of its projects') page."""
    return "/" + "/".join(quote(part, safe="") for part in (org, project) if part)


async def _members(ctx: Context, principal: Principal, org: str) -> list[MemberInfo] | None:
    """The members and their roles when the service shows them to the viewer, else None."""
    try:
        return await orgs.list_members(ctx, principal, org)
    except (Unauthenticated, NotFound):
        return None


def _may_manage(principal: Principal, members: list[MemberInfo] | None) -> bool:
    """Whether to offer the owners' forms: administrators and owners (``orgs`` rule on
    every post; this only spares others a form they cannot use)."""
    if principal.is_admin:
        return True
    return members is not None and any(
        member.username == principal.username and member.role == "owner" for member in members
    )


def _require_something(
    principal: Principal, where: str, found: list[FeedDetails], members: object
) -> None:
    """Unauthenticated for an anonymous visitor who may see nothing of ``where``."""
    if not found and members is None and not principal.authenticated:
        raise Unauthenticated(f"Sign in to see {where}.")


async def _org_name(ctx: Context, principal: Principal, org: str, found: list[FeedDetails]) -> str:
    """The organization's name as it was created (the URL may differ in case)."""
    if found:
        return found[0].org
    if principal.authenticated:
        for info in await orgs.list_orgs(ctx, principal):
            if name_key(info.name) == name_key(org):
                return info.name
    return org


async def _projects(
    ctx: Context, principal: Principal, org: str, found: list[FeedDetails], members: object
) -> list[ProjectRow]:
    """Every project for members (the service's listing), else those of readable feeds."""
    if members is not None:
        listed = await orgs.list_projects(ctx, principal, org)
        return [ProjectRow(project.name, project.description) for project in listed]
    names = sorted({feed.project for feed in found if feed.project}, key=name_key)
    return [ProjectRow(name) for name in names]


@router.get("/{org}", response_class=HTMLResponse)
async def org_page(request: Request, org: str) -> HTMLResponse:
    """The organization's projects, the feeds the viewer may read, and (for members and
    administrators) its members with their roles."""
    _not_reserved(org)
    principal, ctx = await viewer(request), get_context(request)
    try:
        found = await feeds.list_feeds(ctx, principal, org)
        members = await _members(ctx, principal, org)
        _require_something(principal, f"organization {org}", found, members)
        name = await _org_name(ctx, principal, org, found)
        projects = await _projects(ctx, principal, org, found, members)
    except QuiverError as err:
        return error_page(request, principal, err)
    context: dict[str, Any] = {
        "org": name,
        "org_path": org_path(name),
        "projects": projects,
        "feeds": found,
        "members": members,
        "roles": ORG_ROLES,
        "visibilities": VISIBILITIES,
        "can_manage": _may_manage(principal, members),
    }
    return page(request, "org.html", principal, context)


@router.get("/{org}/{project}", response_class=HTMLResponse)
async def project_page(request: Request, org: str, project: str) -> HTMLResponse:
    """The project's feeds the viewer may read; its owners create feeds in it."""
    _not_reserved(org, project)
    principal, ctx = await viewer(request), get_context(request)
    try:
        found = await feeds.list_feeds(ctx, principal, org, project)
        members = await _members(ctx, principal, org)
        _require_something(principal, f"project {org}/{project}", found, members)
        name = await _org_name(ctx, principal, org, found)
        listed = await _projects(ctx, principal, org, found, members)
    except QuiverError as err:
        return error_page(request, principal, err)
    key = name_key(project)
    row = next((row for row in listed if name_key(row.name) == key), ProjectRow(project))
    context: dict[str, Any] = {
        "org": name,
        "org_path": org_path(name),
        "project": row,
        "project_path": org_path(name, row.name),
        "feeds": found,
        "visibilities": VISIBILITIES,
        "can_manage": _may_manage(principal, members),
    }
    return page(request, "project.html", principal, context)


@router.post("/{org}/_members")
async def put_member(request: Request, org: str) -> Response:
    """Add a user to the organization with a role, or change a member's role (owners)."""

    async def action(form: SignedForm) -> Response:
        username, role = form.get("username"), form.get("role", "member")
        require(bool(username), "Give the user name of the member.")
        member = await orgs.add_member(get_context(request), form.principal, org, username, role)
        article = "an" if member.role[0] in "aeiou" else "a"
        message = f"{member.username} is now {article} {member.role} of {org}."
        return redirect(request, org_path(org), message)

    return await form_action(request, action)


@router.post("/{org}/_members/remove")
async def remove_member(request: Request, org: str) -> Response:
    """Remove a member from the organization (owners), once confirmed."""

    async def action(form: SignedForm) -> Response:
        ctx, username = get_context(request), form.get("username")
        require(bool(username), "Give the user name of the member.")
        if not form.confirmed:
            member = await _member_to_manage(ctx, form.principal, org, username)
            return confirm(
                request,
                form,
                question=f"Remove {member.username} from {org}?",
                detail=(
                    "They no longer read the feeds shared with the organization; "
                    "roles given to them on single feeds stay."
                ),
                button="Remove member",
                back=org_path(org),
                danger=True,
            )
        await orgs.remove_member(ctx, form.principal, org, username)
        return redirect(request, org_path(org), f"{username} is no longer a member of {org}.")

    return await form_action(request, action)


async def _member_to_manage(
    ctx: Context, principal: Principal, org: str, username: str
) -> MemberInfo:
    """The member ``username``, if the caller may manage ``org`` (before confirming)."""
    members = await orgs.list_members(ctx, principal, org)
    if not _may_manage(principal, members):
        raise Forbidden(f"You need to be an owner of organization {org} to do this.")
    for member in members:
        if name_key(member.username) == name_key(username):
            return member
    raise NotFound(f"{username} is not a member of {org}.")


@router.post("/_orgs")
async def create_org(request: Request) -> Response:
    """Create an organization (administrators; the service decides); on to its page."""

    async def action(form: SignedForm) -> Response:
        created = await orgs.create_org(get_context(request), form.principal, form.get("name"))
        return redirect(request, org_path(created.name), f"Organization {created.name} created.")

    return await form_action(request, action)


@router.post("/{org}/_projects")
async def create_project(request: Request, org: str) -> Response:
    """Create a project in the organization (owners); on to its page."""

    async def action(form: SignedForm) -> Response:
        description = form.get("description") or None
        created = await orgs.create_project(
            get_context(request), form.principal, org, form.get("name"), description
        )
        message = f"Project {org}/{created.name} created."
        return redirect(request, org_path(org, created.name), message)

    return await form_action(request, action)


@router.post("/{org}/_feeds")
async def create_org_feed(request: Request, org: str) -> Response:
    """Create a feed in the organization (owners); on to its page."""
    return await _create_feed(request, org, None)


@router.post("/{org}/{project}/_feeds")
async def create_project_feed(request: Request, org: str, project: str) -> Response:
    """Create a feed in one of the organization's projects (owners); on to its page."""
    return await _create_feed(request, org, project)


async def _create_feed(request: Request, org: str, project: str | None) -> Response:
    """The feed form's action, as the REST API's ``POST …/feeds`` without upstreams."""

    async def action(form: SignedForm) -> Response:
        visibility = Visibility.parse(form.get("visibility") or Visibility.PRIVATE.value)
        created = await upstreams.create_feed_with_upstreams(
            get_context(request),
            form.principal,
            FeedRef(org, project, form.get("name")),
            upstreams=[],
            description=form.get("description") or None,
            visibility=visibility,
            readers_can_save=form.get("readers_can_save") == "yes",
        )
        path = feed_path(created.org, created.project, created.name)
        return redirect(request, path, f"Feed {created.ref} created.")

    return await form_action(request, action)
