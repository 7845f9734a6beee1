"""``quiver mirror``: put a dependency closure, for several targets, into a feed.

The work is done by :mod:`quiver.cli.mirror`; this module turns arguments into calls, shows
progress bars (only when stdout is a terminal: downloads here, uploads with ``quiver
publish``'s view) and prints the plan or the summary.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from quiver.cli import mirror as engine
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
from quiver.cli.commands.publish import EXIT_INTERRUPTED, UploadView
from quiver.cli.mirror_downloads import Item as Planned
from quiver.cli.mirror_sources import PYPI, Source
from quiver.cli.mirror_targets import Target, default_target, parse_target

ReqsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="REQ...",
        help="Requirements, as pip takes them: 'requests', 'httpx>=0.27', "
        "'pywin32; sys_platform == \"win32\"'.",
        show_default=False,
    ),
]
RequirementOpt = Annotated[
    list[str] | None,
    typer.Option("--requirement", "-r", metavar="FILE", help="A requirements file (repeat)."),
]
PythonOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--python",
        metavar="3.N[,3.N...]",
        help="Python versions to mirror for (repeat or separate with commas; default: this one).",
        show_default=False,
    ),
]
PlatformOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--platform",
        metavar="TAG[,TAG...]",
        help="Wheel platform tags to mirror for: manylinux_2_28_x86_64, musllinux_1_2_x86_64, "
        "macosx_11_0_arm64, win_amd64... (repeat or separate with commas; default: this "
        "machine's).",
        show_default=False,
    ),
]
OnlyBinaryOpt = Annotated[
    bool,
    typer.Option("--only-binary", help="Wheels only: a package without a fitting wheel fails."),
]
IncludeSdistsOpt = Annotated[
    bool,
    typer.Option(
        "--include-sdists",
        help="Mirror every pin's sdist too (by default only where no wheel fits).",
    ),
]
FromOpt = Annotated[
    str,
    typer.Option(
        "--from",
        envvar="QUIVER_MIRROR_FROM",
        metavar="URL",
        help="The index to mirror from (PEP 503/691; env QUIVER_MIRROR_FROM). Credentials go "
        "in the URL, best through the variable: https://USER:PASSWORD@host/simple/.",
        show_envvar=False,
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        envvar="QUIVER_MIRROR_CACHE",
        help="Where downloads are kept between runs (default: ~/.cache/quiver/mirror).",
        show_default=False,
        show_envvar=False,
    ),
]
JobsOpt = Annotated[
    int,
    typer.Option("--jobs", "-j", min=1, max=64, help="Resolutions, downloads and uploads at once."),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Resolve and print the plan; download and send nothing."),
]
_LOOKS_LIKE_PYTHON = re.compile(r"3\.\d{1,2}")
_LOOKS_LIKE_PLATFORM = re.compile(r"(manylinux|musllinux|macosx|win|linux)[a-z0-9_]*")


def mirror(
    ref: FeedRefArg,
    requirements: ReqsArg = None,
    requirement_files: RequirementOpt = None,
    pythons: PythonOpt = None,
    platforms: PlatformOpt = None,
    only_binary: OnlyBinaryOpt = False,
    include_sdists: IncludeSdistsOpt = False,
    source_url: FromOpt = PYPI,
    cache_dir: CacheOpt = None,
    dry_run: DryRunOpt = False,
    jobs: JobsOpt = 4,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mirror packages and everything they need into a feed, for several targets.

    Resolves the requirements once per target (each --python on each --platform) with uv,
    downloads every file the targets need (hashes checked; kept in the cache, so an
    interrupted run resumes), and publishes them as 'quiver publish --skip-existing' does.
    Files the feed already has are neither downloaded nor sent. Exit codes: 0 everything is
    in the feed, 1 something failed or did not resolve, 2 usage, 3 the feed is unreachable.
    """
    with guarded():
        split_ref(ref)
        wanted = engine.Requirements.of(
            checked_requirements(requirements or []), requirement_files or []
        )
        targets = targets_of(pythons or [], platforms or [])
        if only_binary and include_sdists:
            raise ConfigError("--only-binary and --include-sdists exclude each other.")
        credentials = resolve_credentials(server, token)
        source = Source(source_url)
    cache = cache_dir_of(cache_dir)
    try:
        note(f"Resolving for {len(targets)} target(s) from {source.shown} with uv...")
        with guarded():
            resolutions = engine.resolve(
                wanted, targets, source, cache, only_binary=only_binary, jobs=jobs
            )
            plan = engine.make_plan(
                resolutions, source, include_sdists=include_sdists, only_binary=only_binary
            )
            engine.check_feed(credentials, ref, plan)
        if dry_run:
            _show_plan(ref, plan, as_json=as_json)
            raise typer.Exit(EXIT_REFUSED if plan.problems else 0)
        with DownloadView(plan.to_send) as view:
            fetched = engine.download(plan.to_send, source, cache, jobs=jobs, on_progress=view)
        files = engine.distributions(fetched)
        with UploadView(files) as upload_view:
            outcomes = engine.publish(credentials, ref, files, jobs=jobs, on_progress=upload_view)
    except KeyboardInterrupt:
        note("Mirroring interrupted; run it again to resume (downloads are kept).")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        source.close()
    rows = engine.rows(plan, fetched, outcomes)
    show_rows(ref, plan, rows, fetched, as_json=as_json)
    done = (engine.Result.IN_FEED, engine.Result.PUBLISHED, engine.Result.ALREADY_THERE)
    if plan.problems or any(row.result not in done for row in rows):
        raise typer.Exit(EXIT_REFUSED)


def checked_requirements(requirements: Sequence[str]) -> list[str]:
    """Refuse a version or platform given where a requirement goes: ``--python 3.11 3.12``
    reads 3.12 as a requirement."""
    for requirement in requirements:
        if _LOOKS_LIKE_PYTHON.fullmatch(requirement) or _LOOKS_LIKE_PLATFORM.fullmatch(requirement):
            raise ConfigError(
                f"{requirement!r} is not a requirement: repeat --python/--platform for each "
                "value or separate values with commas (--python 3.11,3.12)."
            )
    return list(requirements)


def _split(values: Sequence[str]) -> list[str]:
    return list(
        dict.fromkeys(part.strip() for v in values for part in v.split(",") if part.strip())
    )


def targets_of(pythons: Sequence[str], platforms: Sequence[str]) -> list[Target]:
    """Every python on every platform (ConfigError for a bad one); the default: this one."""
    here = default_target()
    versions = _split(pythons) or [here.python]
    tags = _split(platforms) or [here.platform]
    return sorted({parse_target(python, tag) for python in versions for tag in tags})


def cache_dir_of(given: Path | None) -> Path:
    if given is not None:
        return given.expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quiver" / "mirror"


def _size(item: Planned) -> int:
    return item.file.size or 0


def _show_plan(ref: str, plan: engine.Plan, *, as_json: bool) -> None:
    """Per target the pins, then every file and whether the feed has it; nothing sent."""
    if as_json:
        emit_json(_plan_json(plan))
        return
    for target, pins in plan.resolutions.items():
        typer.echo(f"{target.label}: " + ", ".join(f"{p.name} {p.version}" for p in pins))
    rows = [
        [item.file.filename, decimal(_size(item)), item.feed.value, " ".join(item.targets)]
        for item in plan.items
    ]
    table(["FILE", "SIZE", "IN FEED", "TARGETS"], rows, empty="No files.", keep_whole=[True])
    for problem in plan.problems:
        note(f"problem: {problem}")
    send = plan.to_send
    note(
        f"Would mirror {_count(len(plan.items))} ({decimal(sum(map(_size, plan.items)))}) to "
        f"{ref}: {len(plan.items) - len(send)} already in the feed, {_count(len(send))} "
        f"({decimal(sum(map(_size, send)))}) to transfer; nothing was sent."
    )


def _plan_json(plan: engine.Plan) -> dict[str, Any]:
    return {
        "targets": {
            target.label: [{"name": p.name, "version": p.version} for p in pins]
            for target, pins in plan.resolutions.items()
        },
        "files": [_item_json(item) for item in plan.items],
        "problems": plan.problems,
    }


def _item_json(item: engine.Item) -> dict[str, Any]:
    return {
        "file": item.file.filename,
        "project": item.file.project,
        "version": item.file.version,
        "size": item.file.size,
        "sha256": item.file.sha256,
        "targets": item.targets,
        "in_feed": item.feed.value,
    }


def show_rows(
    ref: str,
    plan: engine.Plan,
    rows: Sequence[engine.Row],
    fetched: Sequence[engine.Fetched],
    *,
    as_json: bool,
    downloads: bool = True,
) -> None:
    """The summary (table or JSON) on stdout, problems and totals on stderr; with
    ``downloads``, a line on what was downloaded (``quiver bundle push`` downloads nothing)."""
    if as_json:
        found = [
            {**_item_json(row.item), "result": row.result.value, "reason": row.reason}
            for row in rows
        ]
        emit_json({**_plan_json(plan), "files": found})
    else:
        cells = [
            [r.item.file.filename, r.result.value, decimal(_size(r.item)), " ".join(r.item.targets),
             "" if r.result in _DONE else r.reason]
            for r in rows
        ]  # fmt: skip
        table(["FILE", "RESULT", "SIZE", "TARGETS", "REASON"], cells, empty="No files.",
              keep_whole=[True, True, True])  # fmt: skip
    for problem in plan.problems:
        note(f"problem: {problem}")
    counts = Counter(row.result for row in rows)
    parts = [f"{counts[result]} {result.value}" for result in engine.Result if counts[result]]
    total = decimal(sum(_size(row.item) for row in rows))
    note(f"{ref}: {', '.join(parts) or 'nothing to do'} ({_count(len(rows))}, {total}).")
    downloaded = [f for f in fetched if f.path is not None and not f.reused]
    if not downloads:
        return
    if not fetched:
        note("Nothing was transferred: the feed has every file.")
    else:
        size = decimal(sum(f.path.stat().st_size for f in downloaded if f.path))
        note(f"Downloaded {_count(len(downloaded))} ({size}); {len(fetched) - len(downloaded)} "
             "taken from the cache.")  # fmt: skip


_DONE = (engine.Result.IN_FEED, engine.Result.PUBLISHED, engine.Result.ALREADY_THERE)


def _count(files: int) -> str:
    return f"{files} file" + ("" if files == 1 else "s")


class DownloadView:
    """Download events as a rich progress bar (bytes and files overall, a row per file being
    fetched). Does nothing when stdout is not a terminal."""

    def __init__(self, items: Sequence[engine.Item]) -> None:
        console = Console()
        self._enabled = console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
            disable=not self._enabled,
        )
        self._files, self._done = len(items), 0
        total = sum(map(_size, items))
        self._overall = self._progress.add_task(self._text(), total=total or 1)
        self._rows: dict[str, tuple[TaskID, int]] = {}

    def __enter__(self) -> DownloadView:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def _text(self) -> str:
        return f"Downloading {self._done}/{self._files} files"

    def __call__(self, event: engine.DownloadEvent) -> None:
        if not self._enabled:
            return
        if isinstance(event, engine.DownloadStarted):
            name = event.item.file.filename
            task = self._progress.add_task(f"  {name}", total=_size(event.item) or None)
            self._rows[name] = (task, 0)
        elif isinstance(event, engine.Received):
            row = self._rows.get(event.item.file.filename)
            if row is not None:
                self._progress.update(row[0], completed=event.received)
                self._progress.advance(self._overall, event.received - row[1])
                self._rows[event.item.file.filename] = (row[0], event.received)
        else:
            item = event.fetched.item
            task, before = self._rows.pop(item.file.filename)
            self._progress.remove_task(task)
            self._progress.advance(self._overall, max(0, _size(item) - before))
            self._done += 1
            self._progress.update(self._overall, description=self._text())


def register(root: typer.Typer) -> None:
    root.command("mirror")(mirror)
