"""What every client command shares: options, the client, errors and output.

stdout carries results (tables, JSON, a new token); everything meant for the
person at the terminal (notes, errors) goes to stderr. Exit codes: 1 when the
server refused, 2 for usage or configuration problems, 3 when the server could
not be reached.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from quiver.cli.client import Client, ClientError

if TYPE_CHECKING:
    from quiver.settings import Settings

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
PIPE_WIDTH = 1000
# Short values that read badly when folded.
SHORT_KEYS = frozenset({"id", "hint", "scope", "role", "your_role", "visibility", "is_admin"})

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="QUIVER_SERVER",
        help="Server URL (env QUIVER_SERVER; default: the one 'quiver login' saved).",
        show_default=False,
        show_envvar=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="QUIVER_TOKEN",
        help="Access token (env QUIVER_TOKEN; default: the one 'quiver login' saved).",
        show_default=False,
        show_envvar=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
FeedRefArg = Annotated[
    str, typer.Argument(metavar="FEEDREF", help="ORG/FEED or ORG/PROJECT/FEED.", show_default=False)
]


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """A line for the person at the terminal (stderr)."""
    typer.echo(message, err=True)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn a ClientError (bad reference, refused request...) into ``fail``."""
    try:
        yield
    except ClientError as err:
        fail(err.message, err.exit_code)


@contextmanager
def connect(server: str | None, token: str | None) -> Iterator[Client]:
    """A client for the configured server; request errors become ``fail``."""
    with guarded(), Client.from_options(server, token) as client:
        yield client


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def when(value: Any) -> str:
    """An ISO timestamp shortened to minutes, or '-'."""
    if not value:
        return "-"
    return str(value)[:16].replace("T", " ")


def text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    empty: str,
    keep_whole: Sequence[bool] = (),
) -> None:
    """A table on stdout, or ``empty`` on stderr when there are no rows.

    Columns marked in ``keep_whole`` are not folded (while the terminal is wide
    enough). Piped output is not wrapped at all, so scripts see one line per row.
    """
    rows = list(rows)
    if not rows:
        note(empty)
        return
    cells = [[text(cell) for cell in row] for row in rows]
    grid = Table(show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        widest = max(len(column), *(len(row[index]) for row in cells))
        whole = index < len(keep_whole) and keep_whole[index]
        if whole:
            grid.add_column(column, no_wrap=True, min_width=widest)
        else:
            grid.add_column(column, overflow="fold", min_width=min(widest, 6))
    for row in cells:
        grid.add_row(*row)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    console.print(grid)


def listing(
    data: list[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    as_json: bool,
    empty: str,
) -> None:
    """``data`` as JSON, or as a table of ``(heading, key)`` columns."""
    if as_json:
        emit_json(data)
        return
    rows = [
        [when(item.get(key)) if _is_time(key) else item.get(key) for _, key in columns]
        for item in data
    ]
    whole = [_is_time(key) or key in SHORT_KEYS for _, key in columns]
    table([heading for heading, _ in columns], rows, empty=empty, keep_whole=whole)


def _is_time(key: str) -> bool:
    """Whether a field holds a timestamp (``created_at``, ``purge_after``...)."""
    return key.endswith(("_at", "_after"))


def details(data: dict[str, Any], keys: Sequence[tuple[str, str]], *, as_json: bool) -> None:
    """One object as JSON, or as ``label: value`` lines on stdout."""
    if as_json:
        emit_json(data)
        return
    width = max(len(label) for label, _ in keys)
    for label, key in keys:
        value = data.get(key)
        typer.echo(f"{label + ':':<{width + 1}} {when(value) if _is_time(key) else text(value)}")


def server_settings(overrides: dict[str, object]) -> Settings:
    """The server's settings (``quiver.settings.load_settings``), or a one-line error and
    exit status 2 (server commands: serve, db upgrade, admin)."""
    from quiver.domain.errors import Invalid
    from quiver.settings import load_settings  # imported here: client commands start faster

    try:
        return load_settings(overrides)
    except Invalid as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
