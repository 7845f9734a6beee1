"""``quiver org`` and ``quiver project``: organizations, their members and their projects."""

from __future__ import annotations

from typing import Annotated

import typer

from quiver.cli.client import path
from quiver.cli.commands._common import JsonOpt, ServerOpt, TokenOpt, connect, listing, note
from quiver.domain.roles import ORG_ROLES

app = typer.Typer(help="Organizations and their members.", no_args_is_help=True)
member_app = typer.Typer(help="Members of an organization.", no_args_is_help=True)
app.add_typer(member_app, name="member")
project_app = typer.Typer(
    help="Projects: groups of feeds in an organization.", no_args_is_help=True
)

OrgArg = Annotated[str, typer.Argument(help="Organization name.", show_default=False)]
UserArg = Annotated[str, typer.Argument(help="User name.", show_default=False)]


@app.command("create")
def create(name: OrgArg, server: ServerOpt = None, token: TokenOpt = None) -> None:
    """Create an organization (administrators); you become its owner."""
    with connect(server, token) as client:
        org = client.post("/_apis/organizations", {"name": name})
    note(f"Created organization {org['name']}.")


@app.command("list")
def list_(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """The organizations you belong to (administrators: all)."""
    with connect(server, token) as client:
        orgs = client.get("/_apis/organizations")
    listing(
        orgs,
        [("NAME", "name"), ("CREATED", "created_at")],
        as_json=as_json,
        empty="No organizations.",
    )


@member_app.command("add")
def member_add(
    org: OrgArg,
    user: UserArg,
    role: Annotated[str, typer.Option(help=f"{' or '.join(ORG_ROLES)}.")] = ORG_ROLES[0],
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Add USER to ORG, or change their role there (organization owners)."""
    with connect(server, token) as client:
        member = client.put(path("_apis", "organizations", org, "members", user), {"role": role})
    article = "an" if member["role"][0] in "aeiou" else "a"
    note(f"{member['username']} is now {article} {member['role']} of {org}.")


@member_app.command("remove")
def member_remove(
    org: OrgArg, user: UserArg, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Remove USER from ORG (organization owners)."""
    with connect(server, token) as client:
        client.delete(path("_apis", "organizations", org, "members", user))
    note(f"Removed {user} from {org}.")


@member_app.command("list")
def member_list(
    org: OrgArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Members of ORG and their roles."""
    with connect(server, token) as client:
        members = client.get(path("_apis", "organizations", org, "members"))
    listing(members, [("USER", "username"), ("ROLE", "role")], as_json=as_json, empty="No members.")


@project_app.command("create")
def project_create(
    org: OrgArg,
    name: Annotated[str, typer.Argument(help="Project name.", show_default=False)],
    description: Annotated[str | None, typer.Option(help="What the project is for.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Create project NAME in ORG (organization owners)."""
    with connect(server, token) as client:
        project = client.post(
            path(org, "_apis", "projects"), {"name": name, "description": description}
        )
    note(f"Created project {org}/{project['name']}.")


@project_app.command("list")
def project_list(
    org: OrgArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The projects of ORG."""
    with connect(server, token) as client:
        projects = client.get(path(org, "_apis", "projects"))
    columns = [("NAME", "name"), ("DESCRIPTION", "description"), ("CREATED", "created_at")]
    listing(projects, columns, as_json=as_json, empty=f"No projects in {org}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="org")
    root.add_typer(project_app, name="project")
