"""``quiver bundle create | verify | push``: a feed's packages in one file, for an air gap.

The work is done by :mod:`quiver.cli.bundle` (and ``quiver mirror``'s engine beneath it);
this module turns arguments into calls, shows progress bars (mirror's and publish's views)
and prints the summaries. Exit codes: 0 done, 1 something failed or the bundle is bad,
2 usage, 3 the server could not be reached.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.filesize import decimal

from quiver.cli import bundle as engine
from quiver.cli import mirror
from quiver.cli.bundle_manifest import Manifest, check_bundle, read_manifest, write_bundle
from quiver.cli.client import ConfigError, resolve_credentials, split_ref
from quiver.cli.commands._common import (
    EXIT_REFUSED,
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    emit_json,
    guarded,
    note,
    table,
)
from quiver.cli.commands.mirror import (
    CacheOpt,
    DownloadView,
    FromOpt,
    IncludeSdistsOpt,
    JobsOpt,
    OnlyBinaryOpt,
    PlatformOpt,
    PythonOpt,
    ReqsArg,
    RequirementOpt,
    cache_dir_of,
    checked_requirements,
    show_rows,
    targets_of,
)
from quiver.cli.commands.publish import EXIT_INTERRUPTED, UploadView
from quiver.cli.mirror_sources import PYPI, Source

app = typer.Typer(
    help="Carry packages across an air gap: create a bundle (one tar file), verify it, "
    "push it into a feed on the far side.",
    no_args_is_help=True,
)

OutArg = Annotated[
    Path, typer.Argument(metavar="OUT.tar", help="The bundle to write.", show_default=False)
]
BundleArg = Annotated[
    Path, typer.Argument(metavar="BUNDLE.tar", help="A bundle made by 'quiver bundle create'.")
]
FromFeedOpt = Annotated[
    str | None,
    typer.Option(
        "--from-feed",
        metavar="FEEDREF[@VIEW]",
        help="Export every file a feed (or one of its views) holds instead of resolving "
        "requirements; read with --server/--token.",
        show_default=False,
    ),
]
SinceOpt = Annotated[
    Path | None,
    typer.Option(
        "--since",
        metavar="PREVIOUS",
        help="An earlier bundle (or its manifest.json): leave out the files it has.",
        show_default=False,
    ),
]


@app.command("create")
def create(
    out: OutArg,
    requirements: ReqsArg = None,
    requirement_files: RequirementOpt = None,
    pythons: PythonOpt = None,
    platforms: PlatformOpt = None,
    only_binary: OnlyBinaryOpt = False,
    include_sdists: IncludeSdistsOpt = False,
    source_url: FromOpt = PYPI,
    from_feed: FromFeedOpt = None,
    since: SinceOpt = None,
    cache_dir: CacheOpt = None,
    jobs: JobsOpt = 4,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write packages and everything they need, for several targets, to one bundle.

    Resolves and downloads as 'quiver mirror' does (same options, same cache), then writes
    OUT.tar: manifest.json (requirements, each target's pins, every file's sha256, size and
    targets) and the files. With --from-feed, the bundle holds what a feed holds instead.
    Nothing is written unless every file was downloaded and checked.
    """
    with guarded():
        if not out.parent.is_dir():
            raise ConfigError(f"No such directory: {out.parent}")
        if only_binary and include_sdists:
            raise ConfigError("--only-binary and --include-sdists exclude each other.")
        previous = read_manifest(since) if since is not None else None
        if from_feed is not None:
            if requirements or requirement_files or pythons or platforms:
                raise ConfigError("--from-feed exports a feed: name no requirements or targets.")
            source = engine.feed_source(resolve_credentials(server, token), from_feed)
            wanted: list[str] = []
        else:
            reqs = mirror.Requirements.of(
                checked_requirements(requirements or []), requirement_files or []
            )
            wanted = engine.requirement_lines(reqs)
            targets = targets_of(pythons or [], platforms or [])
            source = Source(source_url)
    cache = cache_dir_of(cache_dir)
    try:
        with guarded():
            if from_feed is not None:
                note(f"Reading every file of {from_feed}...")
                items, resolutions = engine.feed_items(source), {}
            else:
                note(f"Resolving for {len(targets)} target(s) from {source.shown} with uv...")
                resolutions = mirror.resolve(
                    reqs, targets, source, cache, only_binary=only_binary, jobs=jobs
                )
                plan = mirror.make_plan(
                    resolutions, source, include_sdists=include_sdists, only_binary=only_binary
                )
                _refuse_problems(plan.problems)
                items = plan.items
        kept, omitted = engine.leave_out(items, previous)
        with DownloadView(kept) as view:
            fetched = mirror.download(kept, source, cache, jobs=jobs, on_progress=view)
        _refuse_problems([f.reason for f in fetched if f.path is None])
        manifest = engine.assemble(
            source=from_feed or source.shown,
            requirements=wanted,
            resolutions=resolutions,
            fetched=fetched,
            omitted=omitted,
            previous=previous,
        )
        paths = {f.item.file.filename: f.path for f in fetched if f.path is not None}
        write_bundle(out, manifest, paths)
    except KeyboardInterrupt:
        note("Interrupted; no bundle was written (downloads are kept in the cache).")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        source.close()
    _show_manifest(out, manifest, as_json=as_json)


def _refuse_problems(problems: list[str]) -> None:
    if problems:
        for problem in problems:
            note(f"problem: {problem}")
        note("No bundle was written.")
        raise typer.Exit(EXIT_REFUSED)


def _show_manifest(out: Path, manifest: Manifest, *, as_json: bool) -> None:
    if as_json:
        emit_json({"bundle": str(out), **_json_of(manifest)})
    else:
        rows = [[e.name, decimal(e.size), " ".join(e.targets)] for e in manifest.files]
        table(["FILE", "SIZE", "TARGETS"], rows, empty="No files.", keep_whole=[True, True])
    left = f"; {_count(len(manifest.omitted))} left out (in the earlier bundle)"
    note(
        f"Wrote {out}: {_count(len(manifest.files))} ({decimal(manifest.size)}) for "
        f"{len(manifest.resolutions)} target(s){left if manifest.omitted else ''}."
    )


def _json_of(manifest: Manifest) -> dict[str, object]:
    body: dict[str, object] = json.loads(manifest.to_json())
    return body


@app.command("verify")
def verify(bundle: BundleArg, as_json: JsonOpt = False) -> None:
    """Check a bundle: its manifest, every file's size and sha256, and that it holds nothing
    else (no links, no paths outside it). Exit 1 naming the bad file."""
    with guarded():
        manifest = check_bundle(bundle)
    if as_json:
        emit_json({"bundle": str(bundle), "ok": True, **_json_of(manifest)})
        return
    typer.echo(
        f"OK: {bundle}: {_count(len(manifest.files))} ({decimal(manifest.size)}) for "
        f"{len(manifest.resolutions)} target(s), made by {manifest.tool} on {manifest.created}; "
        "every size and sha256 checked."
    )


@app.command("push")
def push(
    bundle: BundleArg,
    ref: FeedRefArg,
    jobs: JobsOpt = 4,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a bundle into a feed: check it whole first (nothing is sent from a bad one),
    then send the files the feed does not have, as 'quiver publish --skip-existing' does."""
    with guarded():
        split_ref(ref)
        credentials = resolve_credentials(server, token)
    with tempfile.TemporaryDirectory(prefix="quiver-bundle-") as scratch:
        directory = Path(scratch)
        with guarded():
            manifest = check_bundle(bundle, directory)
            note(f"{bundle}: {_count(len(manifest.files))} checked.")
            plan, fetched = engine.push_plan(manifest, directory)
            mirror.check_feed(credentials, ref, plan)
        sending = {item.file.filename for item in plan.to_send}
        fetched = [f for f in fetched if f.item.file.filename in sending]
        files = mirror.distributions(fetched)
        try:
            with UploadView(files) as view:
                outcomes = mirror.publish(credentials, ref, files, jobs=jobs, on_progress=view)
        except KeyboardInterrupt:
            note("Pushing interrupted; run it again to send the rest.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
    rows = mirror.rows(plan, fetched, outcomes)
    show_rows(ref, plan, rows, fetched, as_json=as_json, downloads=False)
    if not files:
        note("Nothing was sent: the feed has every file.")
    done = (mirror.Result.IN_FEED, mirror.Result.PUBLISHED, mirror.Result.ALREADY_THERE)
    if any(row.result not in done for row in rows):
        raise typer.Exit(EXIT_REFUSED)


def _count(files: int) -> str:
    return f"{files} file" + ("" if files == 1 else "s")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bundle")
