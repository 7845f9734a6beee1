"""``quiver feed retention``: show, set and run a feed's retention policy."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from quiver.cli.client import feed_path
from quiver.cli.commands import feeds
from quiver.cli.commands._common import (
    EXIT_USAGE,
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    emit_json,
    fail,
    guarded,
    note,
    table,
)

app = typer.Typer(
    help="Retention policy of a feed: which old, unused versions go to the recycle bin.",
    no_args_is_help=True,
)


def _url(ref: str) -> str:
    with guarded():
        return feed_path(ref) + "/retention"


def describe(policy: dict[str, Any]) -> str:
    """The policy in words, as people read it."""
    parts = []
    if policy.get("max_versions") is not None:
        parts.append(f"keep at most {policy['max_versions']} versions per package")
    if policy.get("days") is not None:
        parts.append(f"keep versions downloaded within {policy['days']} days")
    if not parts:
        return "no retention policy: nothing is deleted"
    if len(parts) == 1:
        return parts[0]
    return " and ".join(parts) + " (a version goes only when both say so)"


def _show(policy: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(policy)
        return
    typer.echo(f"Max versions: {policy.get('max_versions') or '-'}")
    typer.echo(f"Days:         {policy.get('days') or '-'}")
    note(describe(policy).capitalize() + ".")


@app.command("show")
def show(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The feed's retention policy (readers)."""
    url = _url(ref)
    with connect(server, token) as client:
        policy = client.get(url)
    _show(policy, as_json)


@app.command("set")
def set_(
    ref: FeedRefArg,
    max_versions: Annotated[
        int | None,
        typer.Option(
            "--max-versions",
            metavar="N",
            help="Keep at most N versions per package (the newest, PEP 440 order).",
            show_default=False,
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            metavar="D",
            help="Keep versions downloaded (or added, if never downloaded) within D days.",
            show_default=False,
        ),
    ] = None,
    clear_max_versions: Annotated[
        bool, typer.Option("--clear-max-versions", help="Remove the version limit.")
    ] = False,
    clear_days: Annotated[bool, typer.Option("--clear-days", help="Remove the day limit.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the feed's retention policy (feed owners); conditions not named stay as they are.

    A version goes to the recycle bin only when every condition set says so.

    Versions promoted to a view other than local always stay.

    'quiver feed retention run FEEDREF --dry-run' shows what the policy would delete.
    """
    body: dict[str, Any] = {}
    for value, clear, key, flag in (
        (max_versions, clear_max_versions, "max_versions", "--max-versions"),
        (days, clear_days, "days", "--days"),
    ):
        if value is not None and clear:
            fail(f"Give {flag} or --clear-{flag[2:]}, not both.", EXIT_USAGE)
        if value is not None or clear:
            body[key] = value
    if not body:
        fail("Nothing to set: give --max-versions, --days or a --clear option.", EXIT_USAGE)
    url = _url(ref)
    with connect(server, token) as client:
        policy = client.put(url, body)
    _show(policy, as_json)


@app.command("run")
def run(
    ref: FeedRefArg,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would go and why; delete nothing.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply the feed's retention policy now (feed owners); --dry-run only lists.

    What it selects goes to the recycle bin, where an owner can restore it.
    """
    url = _url(ref) + "/run"
    with connect(server, token) as client:
        report = client.request("POST", url, params={"dryRun": "true" if dry_run else "false"})
    if as_json:
        emit_json(report)
        return
    going = report["would_delete"] if dry_run else report["deleted"]
    note(f"Policy of {report['feed']}: {describe(report['policy'])}.")
    table(
        ["PACKAGE", "VERSION", "WHY"],
        [[item["name"], item["version"], item["reason"]] for item in going],
        empty="Nothing would be deleted." if dry_run else "Nothing was deleted.",
        keep_whole=[True, True, False],
    )
    if going:
        verb = "would go to" if dry_run else "moved to"
        note(f"{len(going)} version(s) {verb} the recycle bin; {len(report['kept'])} kept.")


def register(root: typer.Typer) -> None:
    """Attach ``quiver feed retention`` (``root`` is unused: it lives under ``feed``)."""
    feeds.app.add_typer(app, name="retention")
