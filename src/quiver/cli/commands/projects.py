"""``quiver project``: projects group feeds inside an organization."""

from __future__ import annotations

from typing import Annotated

import typer

from quiver.cli.client import path
from quiver.cli.commands._common import JsonOpt, ServerOpt, TokenOpt, connect, listing, note

app = typer.Typer(help="Projects: groups of feeds in an organization.", no_args_is_help=True)

OrgArg = Annotated[str, typer.Argument(help="Organization name.", show_default=False)]


@app.command("create")
def create(
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


@app.command("list")
def list_(
    org: OrgArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The projects of ORG."""
    with connect(server, token) as client:
        projects = client.get(path(org, "_apis", "projects"))
    columns = [("NAME", "name"), ("DESCRIPTION", "description"), ("CREATED", "created_at")]
    listing(projects, columns, as_json=as_json, empty=f"No projects in {org}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="project")
