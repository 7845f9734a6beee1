"""The real-world corpus: distribution files from the public package index, pinned by sha256.

``corpus.csv`` beside this file lists them (``name,filename,sha256,size,metadata_version,why``);
it holds no URL. The files live in a cache outside the repository, filled by ``fetch``, which
looks each file up by package name in a PEP 691 JSON simple index and downloads it from the
address that index gives. Run it with the project's virtual environment (``make corpus`` does)::

    .venv/bin/python tests/realworld/corpus.py fetch [--dest DIR] [--jobs N]
    .venv/bin/python tests/realworld/corpus.py pin NAME FILENAME WHY

Environment: ``QUIVER_CORPUS_INDEX`` (default: the default of ``Settings.pypi_url``) and
``QUIVER_CORPUS_DIR`` (default: ``${XDG_CACHE_HOME:-~/.cache}/quiver/corpus``).

The tests import this module for :func:`read_corpus`, :func:`cache_dir` and
:func:`core_metadata`; they never touch the network.
"""

from __future__ import annotations

import argparse
import csv
import email.parser
import email.policy
import hashlib
import os
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urljoin

import httpx
from packaging.utils import canonicalize_name

CORPUS_CSV = Path(__file__).with_name("corpus.csv")
FIELDS = ("name", "filename", "sha256", "size", "metadata_version", "why")
JSON_INDEX = "application/vnd.pypi.simple.v1+json"
CHUNK = 1024 * 1024
RETRIES = 3
JOBS = 4

T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    """One pinned file of the corpus."""

    name: str
    filename: str
    sha256: str
    size: int
    metadata_version: str
    why: str

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class IndexFile:
    """What the index says about one file: where it is and what it should hash to."""

    url: str
    sha256: str | None
    size: int | None


class CorpusError(Exception):
    """A one-line reason why a file could not be fetched or pinned."""


def read_corpus(path: Path = CORPUS_CSV) -> list[Entry]:
    """The pinned files, in the order of the list."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != FIELDS:
            raise CorpusError(f"{path}: the header must be {','.join(FIELDS)}")
        return [
            Entry(
                name=row["name"],
                filename=row["filename"],
                sha256=row["sha256"],
                size=int(row["size"]),
                metadata_version=row["metadata_version"],
                why=row["why"],
            )
            for row in reader
        ]


def cache_dir() -> Path:
    """``QUIVER_CORPUS_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/quiver/corpus``."""
    explicit = os.environ.get("QUIVER_CORPUS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quiver" / "corpus"


def index_url() -> str:
    """``QUIVER_CORPUS_INDEX``, else the server's default for the public index."""
    explicit = os.environ.get("QUIVER_CORPUS_INDEX")
    if explicit:
        return explicit.rstrip("/") + "/"
    from quiver.settings import Settings

    default = Settings.model_fields["pypi_url"].default
    assert isinstance(default, str)
    return default.rstrip("/") + "/"


def normalize(name: str) -> str:
    return str(canonicalize_name(name))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_cached(entry: Entry, dest: Path) -> bool:
    """True if ``dest`` holds the file with its pinned size and sha256."""
    path = dest / entry.filename
    try:
        if path.stat().st_size != entry.size:
            return False
    except FileNotFoundError:
        return False
    return sha256_of(path) == entry.sha256


def core_metadata(path: Path) -> bytes:
    """The raw bytes of a wheel's ``*.dist-info/METADATA`` or an sdist's top-level ``PKG-INFO``."""
    name = path.name
    if name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                top, _, rest = member.partition("/")
                if top.endswith(".dist-info") and rest == "METADATA":
                    return archive.read(member)
        raise CorpusError(f"{name}: no .dist-info/METADATA")
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if _is_top_pkg_info(member):
                    return archive.read(member)
        raise CorpusError(f"{name}: no top-level PKG-INFO")
    if name.endswith(".tar.gz"):
        with tarfile.open(path, "r:gz") as archive:
            for info in archive:
                if _is_top_pkg_info(info.name) and info.isreg():
                    extracted = archive.extractfile(info)
                    if extracted is not None:
                        with extracted:
                            return extracted.read()
        raise CorpusError(f"{name}: no top-level PKG-INFO")
    raise CorpusError(f"{name}: not a wheel, .zip or .tar.gz sdist")


def _is_top_pkg_info(member: str) -> bool:
    top, sep, rest = member.removeprefix("./").partition("/")
    return bool(top) and sep == "/" and rest == "PKG-INFO"


def declared_metadata_version(raw: bytes) -> str:
    """The ``Metadata-Version`` that core metadata declares (bytes read as Latin-1 so that
    non-UTF-8 metadata still parses)."""
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    value = parser.parsestr(raw.decode("latin-1")).get("Metadata-Version")
    if value is None:
        raise CorpusError("no Metadata-Version in the core metadata")
    return str(value).strip()


def missing(entries: Sequence[Entry], dest: Path) -> list[str]:
    """Filenames of ``entries`` that ``dest`` does not hold (by name and size; hashes are the
    tests' and ``fetch``'s business)."""
    gone: list[str] = []
    for entry in entries:
        path = dest / entry.filename
        if not path.is_file() or path.stat().st_size != entry.size:
            gone.append(entry.filename)
    return gone


def require_cache(entries: Sequence[Entry]) -> Path:
    """For the tests: the cache directory when it holds every listed file. Otherwise the test
    fails when ``CI=true`` (a run that should have fetched the corpus) and is skipped elsewhere,
    either way saying to run ``make corpus``."""
    import pytest

    dest = cache_dir()
    gone = missing(entries, dest)
    if gone:
        message = (
            f"{len(gone)} of {len(entries)} real-world corpus files are not in {dest} "
            f"(e.g. {gone[0]}): run `make corpus` to fetch them"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return dest


# --- the index------------------------------------------------------------------------------


def client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(60.0, connect=15.0),
        follow_redirects=True,
        headers={"User-Agent": "quiver-tests-corpus"},
    )


def index_files(http: httpx.Client, index: str, name: str) -> dict[str, IndexFile]:
    """``{filename: IndexFile}`` from the PEP 691 JSON page of package ``name``."""
    page = f"{index}{normalize(name)}/"
    response = _with_retries(
        lambda: http.get(page, headers={"Accept": JSON_INDEX}), f"{name}: index page"
    )
    if response.status_code == 404:
        raise CorpusError(f"{name}: the index has no such package")
    if response.status_code != 200:
        raise CorpusError(f"{name}: the index answered {response.status_code} for its page")
    if not response.headers.get("content-type", "").startswith(JSON_INDEX):
        raise CorpusError(f"{name}: the index did not answer with PEP 691 JSON")
    found: dict[str, IndexFile] = {}
    for item in response.json().get("files", []):
        size = item.get("size")
        found[item["filename"]] = IndexFile(
            url=urljoin(str(response.url), item["url"]),
            sha256=item.get("hashes", {}).get("sha256"),
            size=size if isinstance(size, int) else None,
        )
    return found


def download(http: httpx.Client, url: str, target: Path, sha256: str, size: int | None) -> None:
    """Download ``url`` to a temporary file beside ``target``, check its sha256 and size, and
    rename it into place; raise :class:`CorpusError` on any mismatch."""
    target.parent.mkdir(parents=True, exist_ok=True)

    def attempt() -> None:
        handle, temp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        try:
            digest = hashlib.sha256()
            written = 0
            with os.fdopen(handle, "wb") as out, http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise CorpusError(
                        f"{target.name}: the download answered {response.status_code}"
                    )
                for chunk in response.iter_bytes(CHUNK):
                    digest.update(chunk)
                    written += len(chunk)
                    out.write(chunk)
            if size is not None and written != size:
                raise CorpusError(f"{target.name}: downloaded {written} bytes, pinned {size}")
            if digest.hexdigest() != sha256:
                raise CorpusError(
                    f"{target.name}: downloaded sha256 {digest.hexdigest()}, pinned {sha256}"
                )
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    _with_retries(attempt, f"{target.name}: download")


def _with_retries(call: Callable[[], T], what: str) -> T:
    """``call()``, tried again after a transport error (a dropped or timed-out connection)."""
    for attempt in range(1, RETRIES + 1):
        try:
            return call()
        except httpx.TransportError as err:
            if attempt == RETRIES:
                raise CorpusError(f"{what} failed: {type(err).__name__}: {err}") from None
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


# --- the commands ---------------------------------------------------------------------------


def fetch(entries: Sequence[Entry], dest: Path, index: str, jobs: int = JOBS) -> list[str]:
    """Bring every entry into ``dest``; return one line per file that failed."""
    dest.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(jobs) as pool:
        cached = list(pool.map(lambda entry: is_cached(entry, dest), entries))
    missing = [entry for entry, ok in zip(entries, cached, strict=True) if not ok]
    if not missing:
        print(f"corpus: all {len(entries)} files are in {dest}")
        return []
    total = sum(entry.size for entry in missing)
    print(
        f"corpus: fetching {len(missing)} of {len(entries)} files "
        f"({total / 1e6:.1f} MB) from {index} into {dest}"
    )
    errors: list[str] = []
    with client() as http, ThreadPoolExecutor(jobs) as pool:
        names = sorted({entry.name for entry in missing})
        pages: dict[str, dict[str, IndexFile] | CorpusError] = {}

        def page(name: str) -> None:
            try:
                pages[name] = index_files(http, index, name)
            except CorpusError as err:
                pages[name] = err

        list(pool.map(page, names))

        def one(entry: Entry) -> str | None:
            found = pages[entry.name]
            if isinstance(found, CorpusError):
                return str(found)
            listed = found.get(entry.filename)
            if listed is None:
                return f"{entry.filename}: not on the index page of {entry.name}"
            if listed.sha256 is not None and listed.sha256 != entry.sha256:
                return (
                    f"{entry.filename}: the index says sha256 {listed.sha256}, "
                    f"not the pinned {entry.sha256}"
                )
            if listed.size is not None and listed.size != entry.size:
                return f"{entry.filename}: the index says {listed.size} bytes, pinned {entry.size}"
            try:
                download(http, listed.url, dest / entry.filename, entry.sha256, entry.size)
            except CorpusError as err:
                return str(err)
            return None

        for error in pool.map(one, missing):
            if error is not None:
                errors.append(error)
    return errors


def pin(
    name: str, filename: str, why: str, dest: Path, index: str, corpus: Path = CORPUS_CSV
) -> Entry:
    """Download ``filename`` of package ``name`` into ``dest`` and append it to the list."""
    if "\n" in why or not why.strip():
        raise CorpusError("WHY must be a few words on one line")
    listed_already = {entry.filename for entry in read_corpus(corpus)} if corpus.exists() else set()
    if filename in listed_already:
        raise CorpusError(f"{filename} is already in {corpus.name}")
    with client() as http:
        listed = index_files(http, index, name).get(filename)
        if listed is None:
            raise CorpusError(f"{filename}: not on the index page of {name}")
        if listed.sha256 is None:
            raise CorpusError(f"{filename}: the index gives no sha256 for it")
        target = dest / filename
        if not (target.exists() and sha256_of(target) == listed.sha256):
            download(http, listed.url, target, listed.sha256, listed.size)
    entry = Entry(
        name=name,
        filename=filename,
        sha256=listed.sha256,
        size=target.stat().st_size,
        metadata_version=declared_metadata_version(core_metadata(target)),
        why=why.strip(),
    )
    append(entry, corpus)
    return entry


def append(entry: Entry, corpus: Path = CORPUS_CSV) -> None:
    """Add one line to the list (writing the header first if the list is new)."""
    new = not corpus.exists()
    with corpus.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if new:
            writer.writerow(FIELDS)
        writer.writerow(
            [
                entry.name,
                entry.filename,
                entry.sha256,
                entry.size,
                entry.metadata_version,
                entry.why,
            ]
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corpus.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser("fetch", help="download every listed file not yet cached")
    dest_help = "cache directory (default: $QUIVER_CORPUS_DIR or ~/.cache/quiver/corpus)"
    fetch_cmd.add_argument("--dest", type=Path, help=dest_help)
    fetch_cmd.add_argument("--jobs", type=int, default=JOBS, help="parallel downloads")
    pin_cmd = commands.add_parser("pin", help="add one file of the index to the list")
    pin_cmd.add_argument("name", help="the package's name on the index")
    pin_cmd.add_argument("filename", help="the exact filename")
    pin_cmd.add_argument("why", help="a few words on what variety the file covers")
    pin_cmd.add_argument("--dest", type=Path, help=dest_help)
    args = parser.parse_args(argv)
    dest: Path = args.dest or cache_dir()
    index = index_url()
    if args.command == "fetch":
        try:
            errors = fetch(read_corpus(), dest, index, max(1, args.jobs))
        except CorpusError as err:
            errors = [str(err)]
        for error in errors:
            print(f"corpus: error: {error}", file=sys.stderr)
        if errors:
            print(f"corpus: {len(errors)} file(s) could not be fetched", file=sys.stderr)
            return 1
        return 0
    try:
        entry = pin(args.name, args.filename, args.why, dest, index)
    except CorpusError as err:
        print(f"corpus: error: {err}", file=sys.stderr)
        return 1
    version, size = entry.metadata_version, entry.size
    print(f"corpus: pinned {entry.filename} (Metadata-Version {version}, {size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
