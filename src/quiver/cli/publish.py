"""Publishing distribution files to a feed over the legacy upload API, from the CLI itself.

The engine behind ``quiver publish`` (and, later, ``quiver mirror`` and ``quiver bundle
push``); it knows nothing of typer or rich. Callers turn arguments into a call and render
the progress events and outcomes.

Contracts:

* :func:`collect` (from :mod:`quiver.cli.distfiles`) turns paths, directories and patterns
  into :class:`Distribution` s, each once; anything wrong with them raises ``ConfigError``
  (exit 2) before anything is sent.
* :func:`upload` sends each file as ``POST {server}{scope}/_packaging/{feed}/pypi/upload/``
  (multipart, streamed from disk: memory stays flat whatever the size), ``jobs`` at a time,
  and returns one :class:`Outcome` per file in the order given. The client only checks that
  a name looks like a distribution; the server decides everything else, and its message is
  the outcome's reason.
* Nothing built here contains the token: it only travels in the ``Authorization`` header.
"""

from __future__ import annotations

import enum
import io
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from quiver import __version__
from quiver.cli.client import ConfigError, Credentials, json_object, redact, split_ref
from quiver.cli.distfiles import Distribution, collect, name_and_version
from quiver.cli.hints import FILE_EXISTS, restore_hint
from quiver.digests import file_sha256

__all__ = [
    "DEFAULT_JOBS",
    "FILE_EXISTS",
    "Distribution",
    "Event",
    "Finished",
    "OnProgress",
    "Outcome",
    "Result",
    "Sent",
    "Started",
    "Stopped",
    "answer_message",
    "classify",
    "collect",
    "exit_code",
    "publish_files",
    "upload",
    "upload_fields",
    "upload_url",
]

DEFAULT_JOBS = 4
CONNECT_TIMEOUT = 10.0
# Each read or write of a long upload, and the wait for the answer while the server checks it.
TRANSFER_TIMEOUT = 600.0


class Result(enum.Enum):
    """What became of one file."""

    PUBLISHED = "published"
    ALREADY_THERE = "already there"
    REFUSED = "refused"
    FAILED = "failed"  # not sent, or no answer: the server could not be reached


@dataclass(frozen=True)
class Outcome:
    """One file's result, with the server's message as ``reason`` (or why none came).

    ``status`` is the HTTP status (None without an answer); ``sha256`` the local file's digest
    ("" if never read); ``code`` and ``remote_sha256`` the server's ``code``/``sha256`` keys;
    ``warnings`` what the server said about a file it published (metadata that bends the spec).
    """

    file: Distribution
    result: Result
    reason: str = ""
    status: int | None = None
    sha256: str = ""
    code: str | None = None
    remote_sha256: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def identical_exists(self) -> bool:
        """The feed has (or had) exactly this file: same name, same sha256."""
        return (
            self.code == FILE_EXISTS
            and bool(self.sha256)
            and (self.remote_sha256 or "").lower() == self.sha256
        )


@dataclass(frozen=True)
class Started:
    """A worker began with ``file`` (hashing, then sending it)."""

    file: Distribution


@dataclass(frozen=True)
class Sent:
    """``sent`` bytes of ``file`` have gone to the connection so far."""

    file: Distribution
    sent: int


@dataclass(frozen=True)
class Finished:
    outcome: Outcome


Event = Started | Sent | Finished
OnProgress = Callable[[Event], None]


# --- what is sent, and what the answer means ---------------------------------------------


def upload_url(server: str, ref: str) -> str:
    """The upload address of feed ``ref`` on ``server`` (ConfigError for a bad ref)."""
    scope, feed = split_ref(ref)
    return f"{server.rstrip('/')}{scope}/_packaging/{quote(feed, safe='')}/pypi/upload/"


def upload_fields(file: Distribution, sha256: str) -> dict[str, str]:
    """The form fields sent beside the file's ``content`` (twine's names)."""
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "sha256_digest": sha256,
        "filetype": file.filetype,
    }
    if file.pyversion is not None:
        fields["pyversion"] = file.pyversion
    parsed = name_and_version(file.filename)
    if parsed is not None:
        fields["name"], fields["version"] = parsed
    return fields


def answer_message(status: int, body: Mapping[str, Any] | None, phrase: str) -> str:
    """The server's ``message`` on one line, else its status line."""
    message = (body or {}).get("message")
    if isinstance(message, str) and message.strip():
        return " ".join(message.split())
    return f"The server answered {status} {phrase}".strip() + "."


def classify(
    file: Distribution,
    sha256: str,
    status: int,
    body: Mapping[str, Any] | None,
    message: str,
    *,
    skip_existing: bool,
) -> Outcome:
    """The outcome of an answer: 2xx published; with ``skip_existing``, a 409 ``file_exists``
    whose sha256 is the local file's is "already there"; everything else is refused."""
    code, remote = (body or {}).get("code"), (body or {}).get("sha256")
    outcome = Outcome(
        file,
        Result.REFUSED,
        message,
        status,
        sha256,
        code if isinstance(code, str) else None,
        remote if isinstance(remote, str) else None,
    )
    if 200 <= status < 300:
        return replace(outcome, result=Result.PUBLISHED, warnings=_warnings(body))
    if status != 409 or not skip_existing or outcome.code != FILE_EXISTS:
        return outcome
    if outcome.identical_exists:
        return replace(outcome, result=Result.ALREADY_THERE)
    if outcome.remote_sha256 is None:
        return outcome
    different = f"The feed has a different file of that name (sha256 {outcome.remote_sha256})"
    return replace(outcome, reason=f"{different}: {message}")


def _warnings(body: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The ``warnings`` list of an answer, each on one line."""
    found = (body or {}).get("warnings")
    if not isinstance(found, list):
        return ()
    return tuple(" ".join(item.split()) for item in found if isinstance(item, str) and item)


def exit_code(outcomes: Iterable[Outcome]) -> int:
    """0: all published or already there; 1: something refused; 3: something got no answer."""
    results = {outcome.result for outcome in outcomes}
    if Result.FAILED in results:
        return 3
    return 1 if Result.REFUSED in results else 0


# --- sending -----------------------------------------------------------------------------


class Stopped(Exception):
    """The run was interrupted (Ctrl-C) while this file was being sent."""


class _Reader(io.BufferedReader):
    """The file as httpx reads it for the multipart body, reporting bytes as they are read."""

    def __init__(self, path: Path, report: Callable[[int], None], stop: threading.Event) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self._report = report
        self._stop = stop
        self._sent = 0

    def read(self, size: int | None = -1) -> bytes:
        if self._stop.is_set():
            raise Stopped("Interrupted.")
        chunk = super().read(size)
        if chunk:
            self._sent += len(chunk)
            self._report(self._sent)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = super().seek(offset, whence)
        self._sent = position
        return position


@dataclass
class _Run:
    """What the workers of one :func:`upload` share."""

    http: httpx.Client
    url: str
    where: str
    skip_existing: bool
    on_progress: OnProgress | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    unreachable: str | None = None
    ref: str = ""  # the feed, for the hints added to refusals

    def emit(self, event: Event) -> None:
        if self.on_progress is not None:
            with self.lock:
                self.on_progress(event)


def upload(
    credentials: Credentials,
    ref: str,
    files: Sequence[Distribution],
    *,
    jobs: int = DEFAULT_JOBS,
    skip_existing: bool = False,
    on_progress: OnProgress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Outcome]:
    """Publish ``files`` to feed ``ref``, ``jobs`` at a time; one outcome per file, in order.

    ``on_progress`` gets Started/Sent/Finished events from the worker threads, one call at a
    time. Once the server cannot be reached, files not yet started fail without being sent.
    ConfigError for a bad ref or ``jobs`` < 1. Ctrl-C stops the files being sent and is
    raised again once the workers have let go of them.
    """
    url = upload_url(credentials.server, ref)
    if jobs < 1:
        raise ConfigError("--jobs must be at least 1.")
    workers = max(1, min(jobs, len(files)))
    with _http_client(credentials, workers, transport) as http:
        run = _Run(http, url, redact(credentials.server), skip_existing, on_progress, ref=ref)
        with ThreadPoolExecutor(workers, thread_name_prefix="quiver-publish") as pool:
            futures = [pool.submit(_publish_one, run, file) for file in files]
            try:
                return [future.result() for future in futures]
            except BaseException:
                run.stop.set()
                for future in futures:
                    future.cancel()
                raise


def publish_files(
    credentials: Credentials,
    ref: str,
    paths: Iterable[str | os.PathLike[str]],
    *,
    jobs: int = DEFAULT_JOBS,
    skip_existing: bool = False,
    on_progress: OnProgress | None = None,
) -> list[Outcome]:
    """:func:`collect` ``paths``, then :func:`upload` them (ConfigError before any upload)."""
    return upload(
        credentials,
        ref,
        collect(paths),
        jobs=jobs,
        skip_existing=skip_existing,
        on_progress=on_progress,
    )


def _http_client(
    credentials: Credentials, connections: int, transport: httpx.BaseTransport | None
) -> httpx.Client:
    headers = {"User-Agent": f"quiver/{__version__}", "Accept": "application/json"}
    if credentials.token:
        headers["Authorization"] = f"Bearer {credentials.token}"
    return httpx.Client(
        headers=headers,
        timeout=httpx.Timeout(TRANSFER_TIMEOUT, connect=CONNECT_TIMEOUT, pool=None),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
        transport=transport,
    )


def _publish_one(run: _Run, file: Distribution) -> Outcome:
    """Hash, send and classify one file; never raises but :class:`Stopped`."""
    if run.unreachable is not None:
        outcome = Outcome(file, Result.FAILED, f"Not sent: {run.unreachable}")
    else:
        run.emit(Started(file))
        try:
            outcome = _send(run, file, file_sha256(file.path))
        except OSError as err:
            outcome = Outcome(file, Result.FAILED, f"Cannot read {file.path}: {err.strerror}.")
    run.emit(Finished(outcome))
    return outcome


def _send(run: _Run, file: Distribution, sha256: str) -> Outcome:
    """POST the file; classify the answer, or fail with why none came."""

    def report(sent: int) -> None:
        run.emit(Sent(file, sent))

    with _Reader(file.path, report, run.stop) as content:
        try:
            response = run.http.post(
                run.url,
                data=upload_fields(file, sha256),
                files={"content": (file.filename, content, "application/octet-stream")},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as err:
            run.unreachable = f"Cannot reach {run.where}: {str(err) or type(err).__name__}"
            return Outcome(file, Result.FAILED, run.unreachable, sha256=sha256)
        except httpx.TimeoutException:
            reason = f"{run.where} did not answer in time."
            return Outcome(file, Result.FAILED, reason, sha256=sha256)
        except httpx.HTTPError as err:
            reason = f"The connection to {run.where} broke: {str(err) or type(err).__name__}"
            return Outcome(file, Result.FAILED, reason, sha256=sha256)
    return _answer(run, file, sha256, response)


def _answer(run: _Run, file: Distribution, sha256: str, response: httpx.Response) -> Outcome:
    if response.is_redirect:
        target = redact(response.headers.get("location", ""))
        reason = f"{run.where} redirects to {target}: use that address."
        return Outcome(file, Result.REFUSED, reason, response.status_code, sha256)
    body = json_object(response)
    message = answer_message(response.status_code, body, response.reason_phrase)
    outcome = classify(
        file, sha256, response.status_code, body, message, skip_existing=run.skip_existing
    )
    parsed = name_and_version(file.filename)
    if outcome.result is Result.REFUSED and parsed is not None:
        hint = restore_hint(run.ref, parsed[0], parsed[1], body)
        return replace(outcome, reason=outcome.reason + hint)
    return outcome
