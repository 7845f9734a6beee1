"""``quiver pip-authenticate`` and ``quiver twine-authenticate``: credentials for pip, uv and
twine in environment variables, for one shell or one CI job.

Contracts:

* Every FEEDREF is checked against the server first (it exists and the token may read it —
  twine: publish to it), so a mistake fails before anything is printed or written.
* Secrets go to stdout (or ``$GITHUB_ENV``, or the private ``.pypirc``) only; stderr gets one
  summary line with the credentials of every URL shown as ``***``.
* A run replaces what an earlier run set, never adding to it: ``pip-authenticate`` rebuilds the
  extra-index lists from the environment without any entry for this server (or for a service
  connection being added), and ``twine-authenticate`` deletes the ``.pypirc`` the previous run
  wrote (``$PYPIRC_PATH``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from quiver.cli.client import ConfigError
from quiver.cli.commands._common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    ServerOpt,
    TokenOpt,
    fail,
    guarded,
    note,
)
from quiver.cli.connections import ServiceConnection, load_connections
from quiver.cli.envformat import FormatError, OutputFormat, render
from quiver.cli.indexes import Signed, check_feeds, masked, merged, secrets_of
from quiver.cli.pypirc import Repository, remove_previous, write_pypirc
from quiver.domain.roles import Role

#: The roles whose holders may publish (the server decides; this only words the warning).
PUBLISHING_ROLES = frozenset(role.label for role in Role if role >= Role.CONTRIBUTOR)


FeedRefsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FEEDREF",
        help="ORG/FEED or ORG/PROJECT/FEED, optionally @VIEW.",
        show_default=False,
    ),
]
UploadRefsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="FEEDREF", help="ORG/FEED or ORG/PROJECT/FEED.", show_default=False),
]
ConnectionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--service-connection",
        metavar="NAME",
        help="Also add this index from the connections file (repeatable).",
        show_default=False,
    ),
]
ConnectionsFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--connections",
        envvar="QUIVER_CONNECTIONS",
        metavar="FILE",
        help="Connections file (default: ~/.config/quiver/connections.toml).",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        case_sensitive=False,
        help="shell (eval it), dotenv, github ($GITHUB_ENV), azure-pipelines or json.",
    ),
]


def pip_authenticate(
    refs: FeedRefsArg = None,
    only_add_extra_index: Annotated[
        bool,
        typer.Option(
            "--only-add-extra-index",
            help="Add every index to the extra lists; leave the primary index alone.",
        ),
    ] = False,
    service_connection: ConnectionOpt = None,
    connections: ConnectionsFileOpt = None,
    form: FormatOpt = OutputFormat.SHELL,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Point pip and uv at feeds, credentials included: eval "$(quiver pip-authenticate ORG/FEED)".

    The first index becomes PIP_INDEX_URL and UV_DEFAULT_INDEX, the others (feeds, then
    service connections) PIP_EXTRA_INDEX_URL and UV_INDEX. Entries an earlier run added are
    replaced; other entries already in those variables are kept.
    """
    with guarded():
        added = load_connections(service_connection or [], connections)
        signed = check_feeds(refs or [], server, token)
        if not signed.feeds and not added:
            raise ConfigError("Name at least one FEEDREF or --service-connection.")
        urls = [signed.sign(feed.index_url) for feed in signed.feeds]
        urls += [connection.index_url() for connection in added]
    primary = None if only_add_extra_index else urls[0]
    extras = urls if only_add_extra_index else urls[1:]
    variables: list[tuple[str, str]] = []
    if primary is not None:
        variables.append(("PIP_INDEX_URL", primary))
    variables.append(
        ("PIP_EXTRA_INDEX_URL", merged(_env("PIP_EXTRA_INDEX_URL"), extras, signed.server))
    )
    if primary is not None:
        variables.append(("UV_DEFAULT_INDEX", primary))
    variables.append(("UV_INDEX", merged(_env("UV_INDEX"), extras, signed.server)))
    secrets = secrets_of(signed.token, *(c.password for c in added))
    _emit(form, variables, [*secrets, *(url for url in urls if "@" in urlsplit(url).netloc)])
    shown = "; ".join(
        f"{name}={masked(value) or '(empty)'}" for name, value in variables if name[:4] == "PIP_"
    )
    note(f"pip-authenticate: {shown} (uv: {', '.join(n for n, _ in variables if n[:3] == 'UV_')}).")


def twine_authenticate(
    refs: UploadRefsArg = None,
    service_connection: ConnectionOpt = None,
    connections: ConnectionsFileOpt = None,
    form: FormatOpt = OutputFormat.SHELL,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Write a private temporary .pypirc for feeds and export PYPIRC_PATH:
    twine upload -r FEED --config-file "$PYPIRC_PATH" dist/*

    One section per feed, named after the feed (ORG-FEED or ORG-PROJECT-FEED when two feeds
    share a name), and one per service connection, named after it. The .pypirc an earlier
    run wrote is deleted.
    """
    with guarded():
        for ref in refs or []:
            if "@" in ref:
                raise ConfigError(f"Publish to the feed, not a view: name it without '@' ({ref}).")
        added = load_connections(service_connection or [], connections)
        signed = check_feeds(refs or [], server, token)
        if not signed.feeds and not added:
            raise ConfigError("Name at least one FEEDREF or --service-connection.")
        if signed.feeds and not signed.token:
            raise ConfigError(
                "twine-authenticate needs a token: pass --token, set QUIVER_TOKEN or run "
                "'quiver login'."
            )
        repositories = _repositories(signed, added)
    for feed in signed.feeds:
        if feed.role not in PUBLISHING_ROLES:
            fail(
                f"Your role on {feed.ref} is {feed.role}: publishing needs the contributor role.",
                EXIT_REFUSED,
            )
    _check_format(form)
    removed = remove_previous(os.environ.get("PYPIRC_PATH"))
    try:
        written = write_pypirc(repositories)
    except (OSError, ValueError) as err:
        fail(f"Cannot write the .pypirc: {err}", EXIT_USAGE)
    secrets = secrets_of(signed.token, *(c.password for c in added))
    _emit(form, [("PYPIRC_PATH", str(written))], secrets)
    note(
        f"twine-authenticate: wrote {written} (sections {', '.join(r.name for r in repositories)})"
        + (f", removed {removed}" if removed else "")
        + f'. Publish: twine upload -r {repositories[0].name} --config-file "$PYPIRC_PATH" dist/*'
    )


def _repositories(signed: Signed, added: Sequence[ServiceConnection]) -> list[Repository]:
    """One section per feed (its name; ``org-[project-]feed`` when names clash), then one per
    service connection (its name; a clash with a feed's section is a ConfigError)."""
    counts: dict[str, int] = {}
    for feed in signed.feeds:
        counts[feed.name] = counts.get(feed.name, 0) + 1
    out = [
        Repository(
            name=feed.name if counts[feed.name] == 1 else feed.ref.replace("/", "-"),
            url=feed.upload_url,
            username=signed.username,
            password=signed.token,
        )
        for feed in signed.feeds
    ]
    for connection in added:
        if any(repository.name == connection.name for repository in out):
            raise ConfigError(
                f"Service connection {connection.name!r} has the name of a feed's section."
            )
        out.append(
            Repository(
                connection.name,
                connection.repository_url(),
                connection.username,
                connection.password,
            )
        )
    return out


def _env(name: str) -> str:
    return os.environ.get(name, "")


def _check_format(form: OutputFormat) -> None:
    """Fail (exit 2) before anything is written when the format cannot be used here."""
    if form is OutputFormat.GITHUB and not _env("GITHUB_ENV").strip():
        fail("GITHUB_ENV is not set: --format github works inside a GitHub Actions step.", 2)


def _emit(form: OutputFormat, variables: list[tuple[str, str]], secrets: Sequence[str]) -> None:
    """Print ``variables`` in ``form`` (secrets masked where the format masks)."""
    _check_format(form)
    try:
        text = render(form, variables, secrets)
    except (FormatError, OSError) as err:
        fail(str(err), EXIT_USAGE)
    sys.stdout.write(text)
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.command("pip-authenticate")(pip_authenticate)
    app.command("twine-authenticate")(twine_authenticate)
