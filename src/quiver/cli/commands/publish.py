"""``quiver publish``: upload distribution files to a feed with the CLI's own credentials.

The work is done by :mod:`quiver.cli.publish`; this module turns arguments into a call,
shows a progress bar (only when stdout is a terminal) and prints the summary.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
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
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from quiver.cli import publish as engine
from quiver.cli.client import resolve_credentials, split_ref
from quiver.cli.commands._common import (
    FeedRefArg,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    emit_json,
    guarded,
    note,
    table,
)

EXIT_INTERRUPTED = 130

FilesArg = Annotated[
    list[str],
    typer.Argument(
        metavar="FILES...",
        help="Distribution files (.whl, .tar.gz, .zip); directories, for every distribution "
        "file directly in them (other files are ignored); or patterns the shell did not "
        "expand, quoted: 'dist/*.whl'.",
        show_default=False,
    ),
]
JobsOpt = Annotated[
    int,
    typer.Option("--jobs", "-j", min=1, max=64, help="How many files to upload at once."),
]
SkipExistingOpt = Annotated[
    bool,
    typer.Option(
        "--skip-existing",
        help="Count a file the feed already has (or had), byte for byte, as already there "
        "rather than refused. A different file of the same name is still refused.",
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="List what would be uploaded; send nothing.")
]


def publish(
    ref: FeedRefArg,
    files: FilesArg,
    jobs: JobsOpt = engine.DEFAULT_JOBS,
    skip_existing: SkipExistingOpt = False,
    dry_run: DryRunOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish distribution files to a feed (contributors), as twine upload does.

    The server checks each file; a summary lists what was published, what was already
    there and what was refused, with the server's reason. Exit codes: 0 everything
    published or already there, 1 something refused, 2 usage (bad FEEDREF, a path that
    matches nothing, a file that is not a distribution), 3 the server could not be reached.
    """
    with guarded():
        split_ref(ref)  # a bad FEEDREF fails before anything else
        found = engine.collect(files)
    if dry_run:
        _show_plan(ref, found, as_json=as_json)
        return
    with guarded():
        credentials = resolve_credentials(server, token)
    try:
        with UploadView(found) as view:
            outcomes = engine.upload(
                credentials, ref, found, jobs=jobs, skip_existing=skip_existing, on_progress=view
            )
    except KeyboardInterrupt:
        note("Publishing interrupted; files already published stay in the feed.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _show_outcomes(ref, outcomes, as_json=as_json, skip_existing=skip_existing)
    code = engine.exit_code(outcomes)
    if code:
        raise typer.Exit(code)


def _show_plan(ref: str, found: Sequence[engine.Distribution], *, as_json: bool) -> None:
    """The dry run: what would be sent, and where."""
    if as_json:
        emit_json([_plan_json(file) for file in found])
        return
    rows = [[file.filename, decimal(file.size), file.filetype, str(file.path)] for file in found]
    table(["FILE", "SIZE", "TYPE", "PATH"], rows, empty="", keep_whole=[True, True, True])
    total = decimal(sum(file.size for file in found))
    note(f"Would publish {_count(len(found))} ({total}) to {ref}; nothing was sent.")


def _plan_json(file: engine.Distribution) -> dict[str, Any]:
    return {
        "file": file.filename,
        "path": str(file.path),
        "size": file.size,
        "filetype": file.filetype,
    }


def _show_outcomes(
    ref: str, outcomes: Sequence[engine.Outcome], *, as_json: bool, skip_existing: bool
) -> None:
    """The summary table (or JSON) on stdout; the server's warnings and the totals on
    stderr."""
    if as_json:
        emit_json([_outcome_json(outcome) for outcome in outcomes])
    else:
        rows = [
            [o.file.filename, o.result.value, decimal(o.file.size), _shown_reason(o)]
            for o in outcomes
        ]
        table(["FILE", "RESULT", "SIZE", "REASON"], rows, empty="", keep_whole=[True, True, True])
    for outcome in outcomes:
        for warning in outcome.warnings:
            note(f"warning: {outcome.file.filename}: {warning}")
    note(_totals(ref, outcomes))
    identical = sum(o.result is engine.Result.REFUSED and o.identical_exists for o in outcomes)
    if identical and not skip_existing:
        note(
            f"{_count(identical)} refused because the feed already has {_them(identical)} "
            "byte for byte; --skip-existing counts such files as already there."
        )


def _shown_reason(outcome: engine.Outcome) -> str:
    """The reason column: only for files refused or not sent (the rest need none)."""
    done = (engine.Result.PUBLISHED, engine.Result.ALREADY_THERE)
    return "" if outcome.result in done else outcome.reason


def _outcome_json(outcome: engine.Outcome) -> dict[str, Any]:
    fields = dataclasses.asdict(outcome)
    fields.pop("file")
    return {
        "file": outcome.file.filename,
        "path": str(outcome.file.path),
        "size": outcome.file.size,
        **fields,
        "result": outcome.result.value,
        "warnings": list(outcome.warnings),
    }


def _totals(ref: str, outcomes: Sequence[engine.Outcome]) -> str:
    """``acme/libs: 3 published, 1 already there, 1 refused (5 files, 1.2 MB).``"""
    counts = Counter(outcome.result for outcome in outcomes)
    parts = [f"{counts[result]} {result.value}" for result in engine.Result if counts[result]]
    size = decimal(sum(outcome.file.size for outcome in outcomes))
    return f"{ref}: {', '.join(parts)} ({_count(len(outcomes))}, {size})."


def _count(files: int) -> str:
    return f"{files} file" + ("" if files == 1 else "s")


def _them(files: int) -> str:
    return "it" if files == 1 else "them"


class UploadView:
    """Renders engine events as a rich progress bar: bytes and files overall, plus one row
    per file being sent. Does nothing when stdout is not a terminal."""

    def __init__(self, files: Sequence[engine.Distribution]) -> None:
        console = Console()
        self._enabled = console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not self._enabled,
        )
        self._files = len(files)
        self._done = 0
        total = sum(file.size for file in files)
        self._overall = self._progress.add_task(self._overall_text(), total=total or 1)
        self._rows: dict[str, tuple[TaskID, int]] = {}

    def __enter__(self) -> UploadView:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def __call__(self, event: engine.Event) -> None:
        """One event from the engine (calls never overlap)."""
        if not self._enabled:
            return
        if isinstance(event, engine.Started):
            name = event.file.filename
            task = self._progress.add_task(f"  {name}", total=event.file.size or 1)
            self._rows[name] = (task, 0)
        elif isinstance(event, engine.Sent):
            self._advance(event.file, event.sent)
        else:
            self._finish(event.outcome)

    def _overall_text(self) -> str:
        return f"Publishing {self._done}/{self._files} files"

    def _advance(self, file: engine.Distribution, sent: int) -> None:
        task, before = self._rows.get(file.filename, (None, 0))
        if task is None:
            return
        sent = min(sent, file.size)
        self._progress.update(task, completed=sent)
        self._progress.advance(self._overall, sent - before)
        self._rows[file.filename] = (task, sent)

    def _finish(self, outcome: engine.Outcome) -> None:
        file = outcome.file
        self._advance(file, file.size)
        task, _ = self._rows.pop(file.filename, (None, 0))
        if task is not None:
            self._progress.remove_task(task)
        else:  # not started (the server could not be reached): count its bytes as done
            self._progress.advance(self._overall, file.size)
        self._done += 1
        self._progress.update(self._overall, description=self._overall_text())


def register(root: typer.Typer) -> None:
    root.command("publish")(publish)
