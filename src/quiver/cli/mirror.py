"""Mirroring a dependency closure into a feed: resolve, plan, download, publish.

The engine behind ``quiver mirror``; it knows nothing of typer or rich. The steps:

* :func:`resolve` runs ``uv pip compile`` once per target (``--python-version``,
  ``--python-platform``), so environment markers and ``Requires-Python`` are judged by uv for
  that target; the result is each target's pins. A target that does not resolve raises
  :class:`ClientError` carrying uv's explanation (exit 1). Why uv, and why per target:
  docs/design/decisions.md, "Resolver for quiver mirror".
* :func:`make_plan` picks the files of every pin for every target (:func:`choose` of
  :mod:`quiver.cli.mirror_sources`), one :class:`Item` per file with the targets needing it;
  a pin without a file for its target is a problem, not an error (the rest still goes).
* :func:`check_feed` asks the feed's JSON simple index which files it has already (same name
  and sha256); those are neither downloaded nor sent, so a second run transfers nothing.
* :func:`download` fetches the other files into ``cache/files``, ``jobs`` at a time: each is
  written to ``NAME.part``, its sha256 (and size) checked, then renamed, so a file in the
  cache is whole and right. A file already there with the right hash is not fetched again:
  a run that was killed resumes where it stopped.
* :func:`publish` sends them with :func:`quiver.cli.publish.upload` (skip-existing), the
  engine of ``quiver publish``; :func:`rows` gives one result per file.

Nothing built here contains a credential: the source's travel in uv's environment and in
``Authorization`` headers, the feed's token only in its header.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from quiver.cli import publish as publishing
from quiver.cli.client import Client, ClientError, ConfigError, Credentials, feed_path, split_ref
from quiver.cli.mirror_downloads import (
    DownloadEvent,
    DownloadFinished,
    DownloadStarted,
    Fetched,
    Received,
    download,
)
from quiver.cli.mirror_sources import Source, SourceFile, choose
from quiver.cli.mirror_targets import Target, uv_platform

__all__ = [
    "DownloadEvent",
    "DownloadFinished",
    "DownloadStarted",
    "FeedHas",
    "Fetched",
    "Item",
    "Pin",
    "Plan",
    "Received",
    "Requirements",
    "Result",
    "Row",
    "check_feed",
    "distributions",
    "download",
    "make_plan",
    "publish",
    "resolve",
    "rows",
]

RESOLVE_TIMEOUT = 900.0
JSON_V1 = "application/vnd.pypi.simple.v1+json"
# uv settings of the caller's environment that would change what is resolved, or from where.
_UV_KEPT = frozenset({"UV_NATIVE_TLS", "UV_HTTP_TIMEOUT", "UV_CONCURRENT_DOWNLOADS"})


@dataclass(frozen=True)
class Requirements:
    """What to mirror: requirement lines and requirements files (``-r``)."""

    lines: tuple[str, ...]
    files: tuple[Path, ...]

    @classmethod
    def of(cls, lines: Sequence[str], files: Sequence[str]) -> Requirements:
        """Checked requirements (ConfigError for a bad line, a missing file, or none)."""
        for line in lines:
            try:
                Requirement(line)
            except InvalidRequirement as err:
                why = str(err).splitlines()[0]  # packaging adds a caret diagram below
                raise ConfigError(f"Invalid requirement {line!r}: {why}") from None
        paths = tuple(Path(name).expanduser() for name in files)
        for path in paths:
            if not path.is_file():
                raise ConfigError(f"No such requirements file: {path}")
        if not lines and not paths:
            raise ConfigError("Nothing to mirror: name requirements or pass -r FILE.")
        return cls(tuple(lines), tuple(path.resolve() for path in paths))

    def text(self) -> str:
        """One requirements file holding them all (``-r`` lines for the files)."""
        return "".join(f"{line}\n" for line in self.lines) + "".join(
            f"-r {path}\n" for path in self.files
        )


@dataclass(frozen=True, order=True)
class Pin:
    name: str
    version: str


class FeedHas(enum.Enum):
    """Whether the feed holds a file of that name."""

    NO = "no"
    SAME = "yes"
    DIFFERENT = "a different file"


@dataclass
class Item:
    """A file to mirror and the targets (labels) that need it."""

    file: SourceFile
    targets: list[str] = field(default_factory=list)
    feed: FeedHas = FeedHas.NO
    feed_sha256: str | None = None


@dataclass
class Plan:
    targets: list[Target]
    resolutions: dict[Target, list[Pin]]
    items: list[Item]
    problems: list[str]

    @property
    def to_send(self) -> list[Item]:
        return [item for item in self.items if item.feed is FeedHas.NO]


# --- resolving ---------------------------------------------------------------------------


def uv_binary() -> str:
    """The uv executable: the ``uv`` package's, else one on PATH (ConfigError if none)."""
    try:
        import uv

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise ConfigError("quiver mirror needs uv: pip install uv.") from None
        return found


def _uv_environment(source: Source, cache: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("UV_") or key in _UV_KEPT
    }
    env.update(
        UV_INDEX_URL=source.url,  # with its credentials: never on a command line
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR") or str(cache / "uv"),
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        NO_COLOR="1",
        **extra,
    )
    return env


def _masked(text: str, source: Source) -> str:
    """uv's output with the source's password hidden, should uv ever show it."""
    secret = urlsplit(source.url).password
    for value in (secret, quote(secret or "", safe="")) if secret else ():
        text = text.replace(value, "***")
    return text


def resolve_one(
    requirements: Requirements,
    target: Target,
    source: Source,
    cache: Path,
    *,
    only_binary: bool = False,
    uv: str | None = None,
) -> list[Pin]:
    """The pins of ``target``; ClientError with uv's explanation if it does not resolve.

    ``uv`` is the executable (default :func:`uv_binary`)."""
    platform, extra = uv_platform(target)
    with tempfile.TemporaryDirectory(prefix="quiver-mirror-") as scratch:
        infile = Path(scratch) / "requirements.in"
        infile.write_text(requirements.text())
        command = [
            uv or uv_binary(), "pip", "compile", str(infile), "--quiet", "--no-header",
            "--no-annotate", "--python", sys.executable, "--python-version", target.python,
            "--python-platform", platform,
        ]  # fmt: skip
        if only_binary:
            command += ["--only-binary", ":all:"]
        done = subprocess.run(
            command,
            env=_uv_environment(source, cache, extra),
            capture_output=True,
            text=True,
            timeout=RESOLVE_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        why = _masked(done.stderr.strip() or done.stdout.strip(), source)
        raise ClientError(f"Cannot resolve for {target.label}:\n{why}")
    return _pins(done.stdout)


def _pins(output: str) -> list[Pin]:
    """``name==version`` lines of uv's output (comments and options skipped)."""
    found = []
    for raw in output.splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()  # markers were judged by uv
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if exact:
            found.append(Pin(canonicalize_name(requirement.name), exact[0]))
    return sorted(found)


def resolve(
    requirements: Requirements,
    targets: Sequence[Target],
    source: Source,
    cache: Path,
    *,
    only_binary: bool = False,
    jobs: int = 4,
) -> dict[Target, list[Pin]]:
    """Each target's pins, targets resolved ``jobs`` at a time (see :func:`resolve_one`)."""
    uv = uv_binary()  # found once: uv's own lookup is not safe in threads (sysconfig)
    with ThreadPoolExecutor(max(1, min(jobs, len(targets)))) as pool:
        futures = {
            target: pool.submit(
                resolve_one, requirements, target, source, cache, only_binary=only_binary, uv=uv
            )
            for target in targets
        }
        return {target: future.result() for target, future in futures.items()}


# --- planning ----------------------------------------------------------------------------


def make_plan(
    resolutions: dict[Target, list[Pin]],
    source: Source,
    *,
    include_sdists: bool = False,
    only_binary: bool = False,
) -> Plan:
    """The files every target needs, each once, in name order (see the module docstring)."""
    items: dict[str, Item] = {}
    problems: list[str] = []
    for target, pins in resolutions.items():
        for pin in pins:
            chosen, problem = choose(
                pin.name,
                source.files(pin.name),
                pin.version,
                target,
                include_sdists=include_sdists,
                only_binary=only_binary,
            )
            if problem is not None:
                problems.append(problem)
            for file in chosen:
                items.setdefault(file.filename, Item(file)).targets.append(target.label)
    ordered = [items[name] for name in sorted(items)]
    return Plan(list(resolutions), resolutions, ordered, problems)


def check_feed(
    credentials: Credentials,
    ref: str,
    plan: Plan,
    *,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """Mark each item by what the feed holds of that name (ClientError when the feed cannot
    be read: missing, no access, unreachable)."""
    scope, feed = split_ref(ref)
    simple = f"{scope}/_packaging/{quote(feed, safe='')}/pypi/simple"
    with Client(credentials.server, credentials.token, transport=transport) as client:
        client.get(feed_path(ref))
        projects = sorted({item.file.project for item in plan.items})
        held: dict[str, str | None] = {}
        for project in projects:
            try:
                page = client.get(f"{simple}/{quote(project, safe='')}/", format=JSON_V1)
            except ClientError as err:
                if err.status == 404:
                    continue
                raise
            for entry in page.get("files", []):
                held[str(entry.get("filename"))] = (entry.get("hashes") or {}).get("sha256")
    for item in plan.items:
        if item.file.filename in held:
            item.feed_sha256 = held[item.file.filename]
            # An index that gives no hash cannot be compared: the name is taken as the file.
            same = item.file.sha256 in (None, item.feed_sha256)
            item.feed = FeedHas.SAME if same else FeedHas.DIFFERENT


# --- publishing and results --------------------------------------------------------------


class Result(enum.Enum):
    """What became of one file of the plan."""

    IN_FEED = "already in feed"  # found before anything was sent: not downloaded
    PUBLISHED = "published"
    ALREADY_THERE = "already there"  # sent, and the feed had it byte for byte
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class Row:
    item: Item
    result: Result
    reason: str = ""


def distributions(fetched: Sequence[Fetched]) -> list[publishing.Distribution]:
    """The downloaded files, as ``quiver publish``'s engine takes them."""
    return [publishing.Distribution(f.path, f.path.stat().st_size) for f in fetched if f.path]


def publish(
    credentials: Credentials,
    ref: str,
    files: Sequence[publishing.Distribution],
    *,
    jobs: int = 4,
    on_progress: publishing.OnProgress | None = None,
) -> list[publishing.Outcome]:
    """Send ``files`` with ``quiver publish``'s engine, skipping what the feed has."""
    if not files:
        return []
    return publishing.upload(
        credentials, ref, files, jobs=jobs, skip_existing=True, on_progress=on_progress
    )


_RESULTS = {
    publishing.Result.PUBLISHED: Result.PUBLISHED,
    publishing.Result.ALREADY_THERE: Result.ALREADY_THERE,
    publishing.Result.REFUSED: Result.REFUSED,
    publishing.Result.FAILED: Result.FAILED,
}


def rows(
    plan: Plan, fetched: Sequence[Fetched], outcomes: Sequence[publishing.Outcome]
) -> list[Row]:
    """One row per planned file, in the plan's order."""
    sent = {outcome.file.filename: outcome for outcome in outcomes}
    failed = {f.item.file.filename: f.reason for f in fetched if f.path is None}
    found: list[Row] = []
    for item in plan.items:
        name = item.file.filename
        if item.feed is FeedHas.SAME:
            found.append(Row(item, Result.IN_FEED))
        elif item.feed is FeedHas.DIFFERENT:
            reason = f"The feed has a different file of that name (sha256 {item.feed_sha256})."
            found.append(Row(item, Result.REFUSED, reason))
        elif name in failed:
            found.append(Row(item, Result.FAILED, failed[name]))
        elif name in sent:
            outcome = sent[name]
            found.append(Row(item, _RESULTS[outcome.result], outcome.reason))
        else:
            found.append(Row(item, Result.FAILED, "Not sent."))
    return found
