"""``quiver package``: what a feed holds, where each file came from, yanking, upstream
behaviour."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from quiver.cli.client import ClientError, feed_path, path
from quiver.cli.commands._common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    connect,
    details,
    emit_json,
    fail,
    guarded,
    listing,
    note,
    table,
    when,
)
from quiver.cli.hints import restore_hint
from quiver.domain.versions import BATCH_OPERATIONS, MAX_BATCH, MAX_REASON

app = typer.Typer(help="Packages in a feed.", no_args_is_help=True)

PackageArg = Annotated[
    str, typer.Argument(metavar="NAME", help="Package name.", show_default=False)
]
VersionArg = Annotated[
    str, typer.Argument(metavar="VERSION", help="Version (PEP 440).", show_default=False)
]


def package_url(ref: str, name: str, *parts: str) -> str:
    """The REST address of package ``name`` in feed ``ref``, with ``parts`` appended."""
    with guarded():
        return feed_path(ref) + "/packages" + path(name, *parts)


@contextmanager
def hinted(hint: Callable[[ClientError], str]) -> Iterator[None]:
    """Fail with the server's refusal followed by ``hint(err)``, the command that gets past
    it (the server's messages name no commands); other errors go on unchanged."""
    try:
        yield
    except ClientError as err:
        extra = hint(err) if err.status is not None else ""
        if not extra:
            raise
        fail(err.message + extra, err.exit_code)


def restore_hinted(ref: str, name: str, version: str) -> Callable[[ClientError], str]:
    """The hint for a refusal because the version is in the recycle bin of ``ref``."""
    return lambda err: restore_hint(ref, name, version, err.data)


def version_text(version: dict[str, Any]) -> str:
    """``2.0``, ``2.0 yanked`` or ``2.0 yanked (reason)``."""
    if not version["yanked"]:
        return str(version["version"])
    reason = version.get("yanked_reason")
    return f"{version['version']} yanked" + (f" ({reason})" if reason else "")


def origin_text(file: dict[str, Any]) -> str:
    """``local (by alice)`` or ``saved from NAME (URL) at TIME``."""
    if file["origin"] == "local":
        return f"local (by {file['uploaded_by']})" if file.get("uploaded_by") else "local"
    source = file.get("upstream") or "an upstream source"
    if file.get("source_url"):
        source += f" ({file['source_url']})"
    return f"saved from {source} at {when(file.get('saved_at') or file['uploaded_at'])}"


@app.command("list")
def list_(
    ref: FeedRefArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The packages in a feed, with how many versions and files each has."""
    with guarded():
        url = feed_path(ref) + "/packages"
    with connect(server, token) as client:
        found = client.get(url)
    columns = [
        ("PACKAGE", "name"),
        ("VERSIONS", "versions"),
        ("FILES", "files"),
        ("SAVED", "saved_files"),
        ("UPSTREAM BEHAVIOUR", "upstream_behavior"),
    ]
    listing(found, columns, as_json=as_json, empty=f"Feed {ref} has no packages.")


@app.command("versions")
def versions(
    ref: FeedRefArg,
    name: PackageArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every version of a package in the feed, each file published here or saved, and from where."""
    url = package_url(ref, name, "versions")
    with connect(server, token) as client:
        found = client.get(url)
    if as_json:
        emit_json(found)
        return
    note(f"{found['name']} in {found['feed']}; upstream behaviour: {found['upstream_behavior']}.")
    rows = [
        [
            version_text(version),
            ", ".join(version.get("views") or []) or "-",
            file["filename"],
            origin_text(file),
            downloads_text(file),
        ]
        for version in found["versions"]
        for file in version["files"]
    ]
    table(
        ["VERSION", "VIEWS", "FILE", "ORIGIN", "DOWNLOADS"],
        rows,
        empty=f"No versions of {name} in {ref}.",
        keep_whole=[True, True, True, False, True],
    )


SHOWN_DETAILS = [
    ("Name", "name"),
    ("Version", "version"),
    ("Summary", "summary"),
    ("Requires-Python", "requires_python"),
    ("License", "license_expression"),
    ("Author", "author"),
    ("Yanked", "yanked_reason"),
    ("Metadata from", "metadata_from"),
]


@app.command("show")
def show(
    ref: FeedRefArg,
    name: PackageArg,
    version: Annotated[
        str, typer.Argument(metavar="VERSION", help="The version (PEP 440).", show_default=False)
    ],
    readme: Annotated[
        bool, typer.Option("--readme", help="Print the README (as written) instead.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One version's details from its metadata: summary, license, dependencies, URLs."""
    url = package_url(ref, name, "versions", version)
    with connect(server, token) as client:
        found = client.get(url)
    if readme and not as_json:
        typer.echo(found.get("description") or f"{found['name']} {found['version']} has no README.")
        return
    if not found.get("license_expression"):
        found = {**found, "license_expression": found.get("license")}
    details(found, SHOWN_DETAILS, as_json=as_json)
    if as_json:
        return
    for dependency in found.get("dependencies") or []:
        extra = f"  (extra: {dependency['extra']})" if dependency.get("extra") else ""
        typer.echo(f"Requires: {dependency['requirement']}{extra}")
    for link in found.get("project_urls") or []:
        typer.echo(f"URL: {link['label']}: {link['url']}")


def downloads_text(file: dict[str, Any]) -> str:
    """``12 (last 2026-01-02 10:00)``, or ``0``."""
    count = int(file.get("download_count") or 0)
    last = file.get("last_download_at")
    return f"{count} (last {when(last)})" if last else str(count)


@app.command("yank")
def yank(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help=f"Why (at most {MAX_REASON} characters); installers show it."
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Yank a version (PEP 592): pip and uv skip it unless it is pinned exactly (contributors).

    Every file of the version is yanked. Yanking it again replaces the reason.
    """
    body: dict[str, Any] = {} if reason is None else {"reason": reason}
    _version_action(ref, name, version, "yank", body, "Yanked", (server, token, as_json))


@app.command("unyank")
def unyank(
    ref: FeedRefArg,
    name: PackageArg,
    version: VersionArg,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Un-yank a version, so installers choose it again (contributors)."""
    _version_action(ref, name, version, "unyank", {}, "Un-yanked", (server, token, as_json))


def _version_action(
    ref: str,
    name: str,
    version: str,
    action: str,
    body: dict[str, Any],
    done: str,
    options: tuple[str | None, str | None, bool],
) -> None:
    """POST ``.../versions/{version}/{action}`` and show the version it answers with."""
    server, token, as_json = options
    url = package_url(ref, name, "versions", version, action)
    with connect(server, token) as client, hinted(restore_hinted(ref, name, version)):
        found = client.post(url, body)
    if as_json:
        emit_json(found)
        return
    note(f"{done} {name} {found['version']} in {ref}.")
    typer.echo(version_text(found))


@app.command("upstreaming")
def upstreaming(
    ref: FeedRefArg,
    name: PackageArg,
    behavior: Annotated[
        str | None,
        typer.Argument(
            metavar="[allow-external-versions|default]",
            help="Set it (feed owners): default hides upstream versions once a version is "
            "published here; allow-external-versions shows them too. Without it: show it.",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set whether upstream versions of a published package are shown."""
    url = package_url(ref, name, "upstreaming")
    with connect(server, token) as client:
        if behavior is None:
            found = client.get(url)
        else:
            found = client.put(url, {"behavior": behavior})
            note(f"Upstream behaviour of {found['name']} in {ref} is now {found['behavior']}.")
    if as_json:
        emit_json(found)
    else:
        typer.echo(found["behavior"])


OPERATIONS = ", ".join(BATCH_OPERATIONS[:-1]) + " or " + BATCH_OPERATIONS[-1]
DONE = {
    "promote": "Promoted",
    "demote": "Demoted",
    "yank": "Yanked",
    "unyank": "Un-yanked",
    "delete": "Deleted",
    "restore": "Restored",
    "purge": "Purged",
}


def _item(spec: str) -> dict[str, str]:
    name, sep, version = spec.partition("==")
    if not sep or not name.strip() or not version.strip():
        fail(f"Name each version as NAME==VERSION, not {spec!r}.", EXIT_USAGE)
    return {"name": name.strip(), "version": version.strip()}


def batch(
    ref: FeedRefArg,
    operation: Annotated[
        str, typer.Argument(metavar="OPERATION", help=OPERATIONS + ".", show_default=False)
    ],
    versions: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME==VERSION...", help=f"1 to {MAX_BATCH} versions.", show_default=False
        ),
    ],
    view: Annotated[
        str | None,
        typer.Option("--view", help="The view (promote and demote).", show_default=False),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help=f"Why (yank and delete; at most {MAX_REASON} characters)."),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Promote, demote, yank, un-yank, delete, restore or purge many versions in one call.

    Each version is done on its own, with the role its operation needs; one
    failure undoes nothing else. Exits 1 if any version failed.
    """
    body: dict[str, Any] = {"operation": operation, "versions": [_item(v) for v in versions]}
    if view is not None:
        body["view"] = view
    if reason is not None:
        body["reason"] = reason
    with guarded():
        url = feed_path(ref) + "/packages/batch"
    with connect(server, token) as client:
        found = client.post(url, body)
    results: list[dict[str, Any]] = found["results"]
    failed = [r for r in results if not r["ok"]]
    if as_json:
        emit_json(found)
    else:
        rows = [
            [r["name"], r["version"], "ok" if r["ok"] else f"{r['status']}: {r['message']}"]
            for r in results
        ]
        table(["PACKAGE", "VERSION", "RESULT"], rows, empty="No versions.", keep_whole=[True, True])
    if failed:
        fail(f"{len(failed)} of {len(results)} versions failed; the others are done.", EXIT_REFUSED)
    if not as_json:
        done = DONE.get(operation.strip().lower(), "Done")
        target = f"{ref}@{view}" if view else ref
        note(f"{done} {len(results)} versions in {target}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="package")
    app.command("batch")(batch)
