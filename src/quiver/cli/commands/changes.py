"""``quiver feed changes|audit``.

The change feed (readers, for mirroring) and the audit log (owners) page with a
continuation token; the commands print the token to continue from last, so a
mirror runs ``quiver feed changes FEED --continuation-token T`` later and gets
only what is new. ``register`` attaches them to ``quiver feed`` and ``quiver package``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from quiver.cli.client import Client, feed_path
from quiver.cli.commands import feeds
from quiver.cli.commands._common import (
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    emit_json,
    guarded,
    note,
    table,
    when,
)
from quiver.domain.changes import DEFAULT_BATCH, MAX_BATCH

TokenArg = Annotated[
    str | None,
    typer.Option(
        "--continuation-token",
        metavar="TOKEN",
        help="Start after the page that returned this token (default: the first change).",
        show_default=False,
    ),
]
BatchOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        metavar="N",
        help=f"At most N entries per page, 1 to {MAX_BATCH} (server default {DEFAULT_BATCH}).",
        show_default=False,
    ),
]
AllOpt = Annotated[
    bool, typer.Option("--all", help="Follow the tokens until nothing more is waiting.")
]


def _pages(
    client: Client, url: str, key: str, start: str | None, follow: bool, **params: str | None
) -> dict[str, Any]:
    """The page after ``start`` or, with ``follow``, every page after it merged into one."""
    entries: list[dict[str, Any]] = []
    token = start
    while True:
        found: dict[str, Any] = client.get(url, continuationToken=token, **params)
        entries += found[key]
        token = found["continuationToken"]
        if not (follow and found["has_more"] and found[key]):
            found[key] = entries
            return found


def _size(batch_size: int | None) -> str | None:
    return None if batch_size is None else str(batch_size)


def _detail(entry: dict[str, Any]) -> str:
    """Files and reason of a change, or the audit detail as ``key=value`` pairs."""
    parts = list(entry.get("files") or [])
    if entry.get("reason"):
        parts.append(f"reason: {entry['reason']}")
    for key, value in (entry.get("detail") or {}).items():
        if key == "files":
            parts += [str(name) for name in value]
        else:
            parts.append(f"{key}={_value(value)}")
    return ", ".join(parts)


def _value(value: Any) -> str:
    """A detail value as text: nested facts (before/after) as compact JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


def _finish(found: dict[str, Any], what: str) -> None:
    """The token to continue from (stdout, last), and what it means (stderr)."""
    typer.echo(f"Continuation token: {found['continuationToken']}")
    if found["has_more"]:
        note(f"More {what} are waiting: pass that token with --continuation-token, or use --all.")
    else:
        note(f"No more {what} for now: pass that token later to get only newer ones.")


def changes(
    ref: FeedRefArg,
    continuation_token: TokenArg = None,
    batch_size: BatchOpt = None,
    follow: AllOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What changed in a feed, oldest first: publishes, saves, promotions, demotions,
    yanks, deletions, restores and purges (readers). For mirroring."""
    with guarded():
        url = feed_path(ref) + "/changes"
    with connect(server, token) as client:
        found = _pages(
            client, url, "changes", continuation_token, follow, batchSize=_size(batch_size)
        )
    if as_json:
        emit_json(found)
        return
    rows = [
        [c["seq"], when(c["at"]), c["kind"], c["package"], c["version"], c["view"], _detail(c)]
        for c in found["changes"]
    ]
    columns = ["SEQ", "WHEN", "CHANGE", "PACKAGE", "VERSION", "VIEW", "FILES / REASON"]
    empty = f"No changes in {ref}" + (" after that token." if continuation_token else ".")
    table(columns, rows, empty=empty, keep_whole=[True, True, True, True, True, True])
    _finish(found, "changes")


def audit(
    ref: FeedRefArg,
    continuation_token: TokenArg = None,
    batch_size: BatchOpt = None,
    follow: AllOpt = False,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="Only this kind of event (repeatable), e.g. publish, yank, view-update.",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every change to a feed, its views and settings: who, when, from which address (owners)."""
    kinds = ",".join(kind) if kind else None
    with guarded():
        url = feed_path(ref) + "/audit"
    with connect(server, token) as client:
        found = _pages(
            client,
            url,
            "entries",
            continuation_token,
            follow,
            batchSize=_size(batch_size),
            kind=kinds,
        )
    if as_json:
        emit_json(found)
        return
    rows = [
        [
            e["seq"],
            when(e["at"]),
            e["kind"],
            e["actor"],
            e["address"],
            " ".join(part for part in (e["package"], e["version"]) if part) or None,
            e["view"],
            _detail(e),
        ]
        for e in found["entries"]
    ]
    columns = ["SEQ", "WHEN", "EVENT", "BY", "FROM", "PACKAGE", "VIEW", "DETAIL"]
    empty = f"No audit entries for {ref}" + (" after that token." if continuation_token else ".")
    table(columns, rows, empty=empty, keep_whole=[True] * 7)
    _finish(found, "entries")


def register(_root: typer.Typer) -> None:
    """Attach the commands to ``quiver feed`` and ``quiver package``."""
    feeds.app.command("changes")(changes)
    feeds.app.command("audit")(audit)
