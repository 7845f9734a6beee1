"""Carrying feeds across an air gap: the engine behind ``quiver bundle``; no typer, no rich.

The format and its checks are in :mod:`quiver.cli.bundle_manifest`; everything that moves
files is ``quiver mirror``'s engine (:mod:`quiver.cli.mirror`): resolution per target, the
choice of files, downloads with hash checks into the resumable cache, and publishing through
``quiver publish``'s engine with skip-existing. This module adds:

* :func:`feed_source` / :func:`feed_items`: a feed (or a view) as a source, read through its
  JSON simple index with the caller's token (in an ``Authorization`` header, only to the
  server's own origin), every file of every project it lists (``--from-feed``).
* :func:`leave_out`: the items an earlier manifest holds (same sha256), for ``--since``.
* :func:`assemble`: the manifest of downloaded files, each file's sha256 and size read from
  the bytes kept, not from the index.
* :func:`push_plan`: a checked, unpacked bundle as a mirror :class:`~quiver.cli.mirror.Plan`,
  so :func:`quiver.cli.mirror.check_feed`, :func:`~quiver.cli.mirror.publish` and
  :func:`~quiver.cli.mirror.rows` do the rest: files the feed has are not sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from packaging.utils import canonicalize_name

from quiver import __version__
from quiver.cli import mirror
from quiver.cli.bundle_manifest import Entry, Manifest, entries_of
from quiver.cli.client import ClientError, ConfigError, Credentials, scope_path
from quiver.cli.distfiles import name_and_version
from quiver.cli.mirror_downloads import Fetched
from quiver.cli.mirror_sources import Source, SourceFile
from quiver.cli.mirror_targets import Target
from quiver.domain.errors import Invalid
from quiver.domain.names import split_feed_ref

__all__ = [
    "assemble",
    "feed_items",
    "feed_source",
    "leave_out",
    "push_plan",
    "requirement_lines",
]

JSON_V1 = "application/vnd.pypi.simple.v1+json"


def requirement_lines(requirements: mirror.Requirements) -> list[str]:
    """The requirements as the manifest records them: the lines, then each file's lines
    (comments and blank lines dropped)."""
    found = list(requirements.lines)
    for path in requirements.files:
        for raw in path.read_text(errors="replace").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                found.append(line)
    return found


def feed_source(credentials: Credentials, ref: str) -> Source:
    """The simple index of ``ORG[/PROJECT]/FEED[@VIEW]`` on the server, as a mirror source
    (ConfigError for a bad reference)."""
    try:
        org, project, feed, view = split_feed_ref(ref)
    except Invalid as err:
        raise ConfigError(str(err)) from None
    scope = scope_path(f"{org}/{project}" if project else org)
    name = quote(feed, safe="") + (f"@{quote(view, safe='')}" if view else "")
    source = Source(f"{credentials.server}{scope}/_packaging/{name}/pypi/simple/")
    if credentials.token:
        # A header on the client, not userinfo in the URL: nothing to hide in messages.
        source.http.headers["Authorization"] = f"Bearer {credentials.token}"
        source.http.event_hooks = {"request": [_same_origin(credentials.server)], "response": []}
    return source


def _same_origin(server: str) -> Callable[[httpx.Request], None]:
    """A request hook dropping the token from requests to any other origin (a redirect to
    object storage, a file URL elsewhere)."""
    origin = httpx.URL(server)

    def hook(request: httpx.Request) -> None:
        url = request.url
        if (url.scheme, url.host, url.port) != (origin.scheme, origin.host, origin.port):
            request.headers.pop("Authorization", None)

    return hook


def feed_items(source: Source) -> list[mirror.Item]:
    """Every file of every project the source's project list names, in name order.

    ClientError when the list cannot be read (no such feed or view, no access, no answer)."""
    try:
        response = source.http.get(source.url, headers={"Accept": JSON_V1})
    except httpx.HTTPError as err:
        raise ClientError(f"Cannot read {source.shown}: {str(err) or type(err).__name__}") from None
    if response.status_code != 200:
        raise ClientError(f"{source.shown} answered {response.status_code}.", response.status_code)
    try:
        projects = [str(entry["name"]) for entry in response.json()["projects"]]
    except (ValueError, KeyError, TypeError):
        raise ClientError(f"{source.shown} did not answer with a JSON project list.") from None
    items: dict[str, mirror.Item] = {}
    for project in sorted({canonicalize_name(name) for name in projects}):
        for file in source.files(project):
            items.setdefault(file.filename, mirror.Item(file))
    return [items[name] for name in sorted(items)]


def leave_out(
    items: Sequence[mirror.Item], previous: Manifest | None
) -> tuple[list[mirror.Item], list[Entry]]:
    """``items`` whose index sha256 the earlier manifest does not hold, and entries for the
    others (with the earlier manifest's size)."""
    if previous is None:
        return list(items), []
    sizes = {entry.sha256: entry.size for entry in (*previous.files, *previous.omitted)}
    kept: list[mirror.Item] = []
    omitted: list[Entry] = []
    for item in items:
        sha256 = (item.file.sha256 or "").lower()
        if sha256 in sizes:
            omitted.append(Entry(item.file.filename, sha256, sizes[sha256], tuple(item.targets)))
        else:
            kept.append(item)
    return kept, omitted


def created_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def assemble(
    *,
    source: str,
    requirements: Sequence[str],
    resolutions: Mapping[Target, Sequence[mirror.Pin]],
    fetched: Iterable[Fetched],
    omitted: Sequence[Entry],
    previous: Manifest | None,
) -> Manifest:
    """The manifest of the downloaded files (``fetched``, all with a path). A file whose
    sha256 ``previous`` holds (an index that gave no hash) joins ``omitted``."""
    targets = {f.item.file.filename: getattr(f.item, "targets", []) for f in fetched}
    paths = [(f.path, targets[f.item.file.filename]) for f in fetched if f.path is not None]
    entries = entries_of(paths)
    held = previous.hashes if previous is not None else frozenset()
    return Manifest(
        tool=f"quiver {__version__}",
        created=created_now(),
        source=source,
        requirements=tuple(requirements),
        resolutions={
            target.label: tuple((pin.name, pin.version) for pin in pins)
            for target, pins in resolutions.items()
        },
        files=tuple(entry for entry in entries if entry.sha256 not in held),
        omitted=tuple(
            sorted([*omitted, *(e for e in entries if e.sha256 in held)], key=lambda e: e.name)
        ),
        since=previous.created if previous is not None else None,
    )


def push_plan(manifest: Manifest, directory: Path) -> tuple[mirror.Plan, list[Fetched]]:
    """The files of a checked bundle unpacked in ``directory``, as a mirror plan, and each
    as already fetched (its path in ``directory``)."""
    items = []
    for entry in manifest.files:
        parsed = name_and_version(entry.name)
        project, version = parsed if parsed is not None else (entry.name, "")
        file = SourceFile(
            canonicalize_name(project),
            version,
            entry.name,
            (directory / entry.name).as_uri(),
            entry.sha256,
            entry.size,
            None,
        )
        items.append(mirror.Item(file, list(entry.targets)))
    plan = mirror.Plan([], {}, items, [])
    return plan, [Fetched(item, directory / item.file.filename) for item in items]
