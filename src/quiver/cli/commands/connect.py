"""``quiver connect FEEDREF --tool pip|twine|uv|poetry|pdm|requirements``: what to paste.

Asks the server (``GET .../_apis/packaging/feeds/{feed}/connect``), so the feed is checked and
the text is the one the web UI shows. stdout gets only pasteable text: each snippet under a
``#`` comment heading (a comment in shell, INI, TOML and requirements files alike), then the
notes as ``#`` comments. No snippet holds a token.
"""

from __future__ import annotations

import textwrap
from typing import Annotated, Any

import typer

from quiver.cli.client import ConfigError, path, scope_path
from quiver.cli.commands._common import JsonOpt, ServerOpt, TokenOpt, connect, emit_json, guarded
from quiver.domain.errors import Invalid
from quiver.domain.names import split_feed_ref
from quiver.domain.snippets import DEFAULT_TOOL, TOOLS

WIDTH = 96


def connect_path(ref: str) -> str:
    """The REST address of the connect snippets of ``ref`` (views allowed)."""
    try:
        org, project, feed, view = split_feed_ref(ref)
    except Invalid as err:
        raise ConfigError(str(err)) from None
    name = f"{feed}@{view}" if view else feed
    scope = scope_path(f"{org}/{project}" if project else org)
    return f"{scope}/_apis/packaging/feeds{path(name)}/connect"


def as_text(data: dict[str, Any]) -> str:
    """The answer as pasteable text (see the module docstring)."""
    blocks = []
    for snippet in data["snippets"]:
        heading = f"# {snippet['title']}"
        if snippet.get("filename"):
            heading += f"  [{snippet['filename']}]"
        blocks.append(f"{heading}\n{snippet['content'].rstrip()}\n")
    for note in data["notes"]:
        blocks.append(
            textwrap.fill(note, WIDTH, initial_indent="# Note: ", subsequent_indent="#   ") + "\n"
        )
    return "\n".join(blocks)


def connect_command(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="FEEDREF",
            help="ORG/FEED or ORG/PROJECT/FEED, optionally @VIEW.",
            show_default=False,
        ),
    ],
    tool: Annotated[
        str, typer.Option("--tool", help=f"One of: {', '.join(TOOLS)}.")
    ] = DEFAULT_TOOL,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print what to paste to use a feed from pip (default), twine, uv, poetry, pdm or a
    requirements file. Never prints a token: put yours where <PERSONAL_ACCESS_TOKEN> stands."""
    with guarded():
        where = connect_path(ref)
        if tool.strip().lower() not in TOOLS:
            raise ConfigError(f"Unknown tool {tool!r}: use one of {', '.join(TOOLS)}.")
    with connect(server, token) as client:
        data = client.get(where, tool=tool)
    if as_json:
        emit_json(data)
        return
    typer.echo(as_text(data), nl=False)


def register(app: typer.Typer) -> None:
    app.command("connect")(connect_command)
