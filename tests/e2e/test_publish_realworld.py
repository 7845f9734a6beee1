"""Every file of the real-world corpus (tests/realworld) published to a live server with the real
clients, then listed, downloaded and installed back: issue 10 (the server refused real files).

Two feeds, one per publishing client, each receiving every corpus file:

* ``acme/by-twine``: ``twine upload`` (twine 7), one invocation for all the files it will send.
  twine 7 validates core metadata with ``packaging`` before it sends anything, and refuses
  client-side files that the public index serves and pip installs. Which ones is asked of twine
  itself (``PackageFile.from_filename``, the check ``twine upload`` runs on every file first);
  with the corpus as pinned they are:

  - Metadata-Version 2.0 (``bdist_wheel`` before wheel 0.31) and 1.3 (wheel 0.15): "not a valid
    metadata version" (packaging knows 1.0-1.2 and 2.1 on);
  - ``Classifier`` and ``Download-URL`` under 1.0 (distutils before Python 2.5 wrote 1.0 with
    them), ``License-Expression`` under 2.3 (hatchling 1.22-1.26), ``Description-Content-Type``
    under 1.1/1.2 (setuptools 36-38): "introduced in metadata version X, not Y";
  - ``Description-Content-Type: UNKNOWN`` (setuptools 36-38 wrote it for a missing value);
  - values that do not parse: ``Requires-Dist: pytz (>dev)`` (celery 3.1),
    ``Provides-Extra: ssl:python_version in '2.4, 2.5'`` (setuptools 0.9.8),
    ``Provides-Extra: .none`` (flit), ``Requires-Python: >=3.6.*`` / ``!=3.3*`` / ``!=3.0*``.

  (twine drops ``License-File`` below 2.4 itself, so it sends those.) These files go to the same
  feed with ``uv publish`` instead.
* ``acme/by-uv``: ``uv publish``. uv refuses ``.zip`` sdists ("only files ending in .tar.gz are
  valid source distributions") and skips, with a warning, every file whose name is not in the
  normalized form (``Jinja2-2.0.tar.gz``, ``MarkupSafe-1.1.1-...whl``,
  ``jaraco.classes-3.4.0-...whl``): found with ``uv publish --dry-run``. Those go to the same feed
  with twine instead.

A few files neither client will send (an old ``.zip`` sdist or a non-normalized filename whose
metadata twine refuses) go through the legacy upload API directly: a form with the file, as
``setup.py upload`` and twine before 6 sent them.

Then each feed's JSON index must list every file with its sha256 and size, a sample must
download back byte for byte (with the wheels' PEP 658 metadata), and pip (from the twine feed)
and uv (from the uv feed) must install, ``--no-deps`` and binary-only, every package that has a
wheel for this interpreter: pip at its newest version (Metadata-Version 2.1-2.5), uv at its
oldest (1.2, 1.3, 2.0 and the quirks).

Every command and request runs offline against the live server only; the corpus comes from the
cache that ``make corpus`` fills (skipped without it, failed when ``CI=true``).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import os
import platform
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version
from twine.exceptions import InvalidDistribution
from twine.package import PackageFile

from tests.realworld.corpus import Entry, core_metadata, read_corpus, require_cache
from tests.support import rest
from tests.support.cli import run_quiver, without_quiver_settings
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env, make_venv, redact, run, uv_binary

pytestmark = pytest.mark.e2e

ENTRIES = read_corpus()
TWINE = str(Path(sys.executable).with_name("twine"))
BY_TWINE = "acme/by-twine"
BY_UV = "acme/by-uv"
BY_QUIVER = "acme/by-quiver"
MIRROR = "acme/mirror"
JSON_INDEX = "application/vnd.pypi.simple.v1+json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: "Uploading NAME" (twine) or "Uploading NAME (12.3KiB)" (uv), one per file sent.
UPLOADING = re.compile(r"^Uploading (\S+\.(?:whl|tar\.gz|zip))\b", re.MULTILINE)
#: uv's "error: Failed to publish `PATH` to `URL`" ("Failed to publish: PATH" when it refuses
#: a file itself).
UV_FAILED = re.compile(r"error: Failed to publish:? `?([^`\s]+)`?[^\n]*")
#: Files per client invocation.
BATCH = 40
#: What twine 7 and uv are known to refuse client-side (see the module docstring). A refusal
#: that matches none of these is a new client behaviour: look at it, and document it above.
TWINE_REFUSES = re.compile(
    r"is not a valid metadata version|introduced in metadata version"
    r"|is not a valid content type|is invalid for '(requires-dist|requires-python|provides-extra)'"
)
UV_REFUSES = re.compile(r"non-normalized filename|Only files ending in `\.tar\.gz`")
#: Wheels over this size are left out of the install samples (time, not variety).
INSTALL_MAX_BYTES = 20_000_000
#: Modules that import with nothing else installed but what the samples hold: {package: module}.
IMPORTS = {
    "attrs": "attr",
    "certifi": "certifi",
    "charset-normalizer": "charset_normalizer",
    "cryptography": "cryptography",
    "idna": "idna",
    "lxml": "lxml.etree",
    "markupsafe": "markupsafe",
    "packaging": "packaging.version",
    "protobuf": "google.protobuf",
    "psutil": "psutil",
    "pyyaml": "yaml",
    "six": "six",
    "typing-extensions": "typing_extensions",
    "zope-interface": "zope.interface",
}


@dataclass(repr=False)
class Feed:
    """How the corpus reached one feed: the client that sent each file, and what was refused."""

    ref: str
    sent_by: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    client_refusals: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Client:
    """A publishing client: its name, the files it refuses client-side (with the reason), and
    how to run it on some files for a feed (exit status and output)."""

    name: str
    refuses: dict[str, str]
    publish: Callable[[str, Sequence[Path]], tuple[int, str]]


@dataclass(repr=False)
class Published:
    server: LiveServer
    token: str
    cache: Path
    feeds: dict[str, Feed]


@pytest.fixture(scope="module")
def cache() -> Path:
    return require_cache(ENTRIES)


@pytest.fixture(scope="module")
def published(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    with live_server(tmp_path_factory.mktemp("realworld") / "data") as server:
        with server.client() as admin:
            for ref in (BY_TWINE, BY_UV):
                rest.create_feed(admin, ref)
            rest.create_user(admin, "publisher")
            for ref in (BY_TWINE, BY_UV):
                rest.set_role(admin, ref, "publisher", "contributor")
            token = rest.create_token(admin, "publisher", "packaging:write")
        paths = [cache / entry.filename for entry in ENTRIES]
        twine_refuses = _twine_refusals(paths)
        uv_refuses = _uv_refusals(server, token, paths)
        twine = Client("twine", twine_refuses, lambda ref, files: _twine(server, ref, token, files))
        uv = Client("uv publish", uv_refuses, lambda ref, files: _uv(server, ref, token, files))
        feeds = {BY_TWINE: Feed(BY_TWINE), BY_UV: Feed(BY_UV)}
        for feed, first, second in ((feeds[BY_TWINE], twine, uv), (feeds[BY_UV], uv, twine)):
            feed.client_refusals = first.refuses
            # The feed's own client; the other one for what it refuses; the legacy API for
            # what both refuse.
            _send(feed, first, [path for path in paths if path.name not in first.refuses])
            fallback = [path for path in paths if path.name in first.refuses]
            _send(feed, second, [path for path in fallback if path.name not in second.refuses])
            for path in fallback:
                if path.name in second.refuses:
                    _legacy(server, feed, token, path)
        if server.process.poll() is not None:
            pytest.fail(f"the server died while the corpus was published:\n{server.log()[-4000:]}")
        yield Published(server, token, cache, feeds)


# --- the tests ----------------------------------------------------------------------------------


def test_the_server_accepts_every_real_file(published: Published) -> None:
    lines = [
        f"{ref} via {feed.sent_by.get(name, '?')}: {name}: {reason}"
        for ref, feed in published.feeds.items()
        for name, reason in sorted(feed.refused.items())
    ]
    refused = {name for feed in published.feeds.values() for name in feed.refused}
    assert not lines, (
        f"the server refused {len(refused)} of {len(ENTRIES)} real files:\n" + "\n".join(lines)
    )
    for feed in published.feeds.values():
        assert set(feed.sent_by) == {entry.filename for entry in ENTRIES}


def test_clients_refuse_only_the_known_kinds_of_file(published: Published) -> None:
    twine_refuses = published.feeds[BY_TWINE].client_refusals
    uv_refuses = published.feeds[BY_UV].client_refusals
    unknown = {
        **{f"twine: {n}": r for n, r in twine_refuses.items() if not TWINE_REFUSES.search(r)},
        **{f"uv: {n}": r for n, r in uv_refuses.items() if not UV_REFUSES.search(r)},
    }
    assert not unknown, f"a new kind of client-side refusal; document it: {unknown}"
    # Both clients send most of the corpus themselves.
    assert len(twine_refuses) < len(ENTRIES) / 2 and len(uv_refuses) < len(ENTRIES) / 2


def test_the_json_index_lists_every_file_with_its_sha256_and_size(published: Published) -> None:
    names = sorted({canonicalize_name(entry.name) for entry in ENTRIES})
    with published.server.client(published.token) as client:
        for ref in published.feeds:
            listed: dict[str, Listed] = {}
            for name in names:
                listed.update(_listed(client, published.server.index_url(ref), name))
            wrong = [
                f"{entry.filename}: {listed.get(entry.filename)}"
                for entry in ENTRIES
                if entry.filename not in listed
                or (listed[entry.filename].sha256, listed[entry.filename].size)
                != (entry.sha256, entry.size)
            ]
            assert not wrong, f"{ref}: {len(wrong)} files missing or wrong on the index: {wrong}"
            assert len(listed) == len(ENTRIES)


def test_a_sample_downloads_back_byte_for_byte(published: Published) -> None:
    sample = _download_sample()
    with published.server.client(published.token) as client:
        for ref in published.feeds:
            index = published.server.index_url(ref)
            for entry in sample:
                url = _listed(client, index, entry.name)[entry.filename].url
                assert _sha256_of_download(client, url) == entry.sha256, (ref, entry.filename)
                if entry.is_wheel:
                    # PEP 658: the wheel's METADATA, byte for byte.
                    response = client.get(url.split("#", 1)[0] + ".metadata")
                    assert response.status_code == 200, (ref, entry.filename)
                    expected = core_metadata(published.cache / entry.filename)
                    assert response.content == expected, (ref, entry.filename)


def test_pip_installs_the_newest_wheel_of_each_package(
    published: Published, tmp_path: Path
) -> None:
    """pip, from the feed twine filled: every package that has a wheel for this interpreter, at
    its newest such version (current build backends, Metadata-Version 2.4 and 2.5)."""
    sample = _install_sample(published.cache, newest=True)
    venv = make_venv(tmp_path / "pip")
    env = client_env({"PIP_INDEX_URL": published.server.index_url(BY_TWINE, published.token)})
    venv.pip("install", "--no-deps", "--only-binary", ":all:", *_pins(sample), env=env)
    _check_installed(venv.installed(), sample)
    _check_imports(venv.run_python, sample)


def test_uv_installs_the_oldest_wheel_of_each_package(published: Published, tmp_path: Path) -> None:
    """uv, from the feed uv filled: every package that has a wheel for this interpreter, at its
    oldest such version (Metadata-Version 1.2 to 2.3, and their quirks)."""
    sample = _install_sample(published.cache, newest=False)
    venv = make_venv(tmp_path / "uv", with_pip=False)
    env = client_env({"UV_INDEX_URL": published.server.index_url(BY_UV, published.token)})
    venv.uv_pip("install", "--no-deps", "--no-build", *_pins(sample), env=env)
    _check_installed(venv.installed(), sample)


def test_quiver_publish_sends_every_file_twine_and_uv_refuse_or_not(
    published: Published,
) -> None:
    """``quiver publish`` checks nothing the server does not: all of the corpus goes in one
    command, and a second run with ``--skip-existing`` finds every file already there."""
    with published.server.client() as admin:
        rest.create_feed(admin, BY_QUIVER)
        rest.set_role(admin, BY_QUIVER, "publisher", "contributor")
    paths = [str(published.cache / entry.filename) for entry in ENTRIES]
    env = {**without_quiver_settings(), "QUIVER_SERVER": published.server.url}
    env["QUIVER_TOKEN"] = published.token
    first = run_quiver(["publish", BY_QUIVER, *paths, "--json"], env, timeout=900)
    assert first.code == 0, first.err[-3000:]
    results = {item["file"]: item["result"] for item in first.json()}
    assert results == {entry.filename: "published" for entry in ENTRIES}
    again = run_quiver(
        ["publish", BY_QUIVER, *paths, "--skip-existing", "--json"], env, timeout=900
    )
    assert again.code == 0, again.err[-3000:]
    assert {item["result"] for item in again.json()} == {"already there"}
    with published.server.client(published.token) as client:
        index = published.server.index_url(BY_QUIVER)
        listed: dict[str, Listed] = {}
        for name in sorted({canonicalize_name(entry.name) for entry in ENTRIES}):
            listed.update(_listed(client, index, name))
    assert {name: item.sha256 for name, item in listed.items()} == {
        entry.filename: entry.sha256 for entry in ENTRIES
    }


def test_every_real_file_saves_through_an_upstream(published: Published) -> None:
    """A feed whose upstream is an index holding the corpus (the twine feed, over HTTP like
    any index) saves every file it is asked for: the same rules as a publish (issue 10, 4)."""
    with published.server.client() as admin:
        rest.create_feed(admin, MIRROR)
        upstream = {
            "name": "corpus",
            "url": published.server.index_url(BY_TWINE),
            "username": "publisher",
            "password": published.token,
        }
        added = admin.post(rest.feed_url(MIRROR, "/upstreams"), json=upstream)
        assert added.status_code == 201, added.text
        index = published.server.index_url(MIRROR)
        wrong = []
        for entry in ENTRIES:
            url = _listed(admin, index, entry.name)[entry.filename].url
            if _sha256_of_download(admin, url) != entry.sha256:
                wrong.append(entry.filename)
        assert not wrong, f"downloads through the upstream that did not match: {wrong}"
        saved: dict[str, str] = {}
        for name in sorted({canonicalize_name(entry.name) for entry in ENTRIES}):
            versions = admin.get(rest.feed_url(MIRROR, f"/packages/{name}/versions"))
            assert versions.status_code == 200, versions.text
            for version in versions.json()["versions"]:
                saved.update({f["filename"]: f["origin"] for f in version["files"]})
    assert saved == {entry.filename: "upstream" for entry in ENTRIES}
    log = published.server.log()
    assert "not saving" not in log, log[-3000:]


# --- publishing ---------------------------------------------------------------------------------


def _twine_refusals(paths: Sequence[Path]) -> dict[str, str]:
    """{filename: reason} of the files twine refuses before sending anything: the check
    ``twine upload`` runs on each file (it reads and validates the core metadata)."""
    refused: dict[str, str] = {}
    for path in paths:
        try:
            PackageFile.from_filename(str(path), None)
        except InvalidDistribution as err:
            refused[path.name] = str(err)
    return refused


def _uv_refusals(server: LiveServer, token: str, paths: Sequence[Path]) -> dict[str, str]:
    """{filename: reason} of the files ``uv publish --dry-run`` skips or refuses."""
    env = _uv_env(server, BY_UV, token)
    del env["UV_PUBLISH_CHECK_URL"]
    result = run([str(uv_binary()), "publish", "--dry-run", *map(str, paths)], env=env, check=False)
    output = ANSI.sub("", result.stdout + result.stderr)
    refused: dict[str, str] = {}
    for match in re.finditer(r"warning: `([^`]+)` has a non-normalized filename[^\n]*", output):
        refused[match.group(1)] = match.group(0)
    for match in re.finditer(r"error: Failed to publish: (\S+)\n((?:\s+cause:[^\n]*\n?)+)", output):
        refused[Path(match.group(1)).name] = match.group(2).strip()
    return refused


def _send(feed: Feed, client: Client, paths: Sequence[Path]) -> None:
    """Publish ``paths`` to ``feed`` with ``client``, many files per invocation. The clients
    stop at the first file the server refuses: note it with its reason and go on with the files
    not yet sent. (Batches keep that cheap when the server refuses many files: each new
    invocation hashes only the rest of its batch.)"""
    for path in paths:
        feed.sent_by[path.name] = client.name
    for start in range(0, len(paths), BATCH):
        remaining = list(paths[start : start + BATCH])
        while remaining:
            status, output = client.publish(feed.ref, remaining)
            output = ANSI.sub("", output)
            sent = set(UPLOADING.findall(output))
            if status == 0:
                for path in remaining:
                    if path.name not in sent:
                        feed.refused[path.name] = f"{client.name} did not send it: {output[-500:]}"
                break
            failed = _failed_file(output)
            left = [path for path in remaining if path.name not in sent | {failed}]
            if failed is None or len(left) == len(remaining):
                for path in remaining:
                    feed.refused.setdefault(path.name, f"{client.name} failed: {output[-800:]}")
                break
            feed.refused[failed] = _reason(output, failed)
            remaining = left


def _failed_file(output: str) -> str | None:
    """The file a failed ``uv publish`` or ``twine upload`` was sending."""
    uv_failed = UV_FAILED.search(output)
    if uv_failed:
        return Path(uv_failed.group(1)).name
    uploading = UPLOADING.findall(output)
    return uploading[-1] if uploading else None


def _reason(output: str, failed: str) -> str:
    """The client's error message about ``failed``, on one line, without the upload URL."""
    uv_failed = UV_FAILED.search(output)
    at = uv_failed.end() if uv_failed else output.rfind(failed) + len(failed)
    text = output[at:]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("Hashing", "Uploading", "("))]
    text = " ".join(lines)
    text = re.sub(
        r"WARNING\s+Error during upload\. Retry with the --verbose option[^.]*\.", "", text
    )
    text = re.sub(r"\s*(from|to) `?https?://\S+", "", text)
    return redact(re.sub(r"\s+", " ", text).strip(" :`"))[:600]


def _twine(server: LiveServer, ref: str, token: str, paths: Sequence[Path]) -> tuple[int, str]:
    env = client_env(
        {
            "TWINE_USERNAME": "publisher",
            "TWINE_PASSWORD": token,
            "TWINE_NON_INTERACTIVE": "1",
            "COLUMNS": "400",  # rich wraps twine's error lines at the terminal width
        }
    )
    command = [TWINE, "upload", "--disable-progress-bar", "--repository-url"]
    result = run([*command, server.upload_url(ref), *map(str, paths)], env=env, check=False)
    return result.returncode, result.stdout + result.stderr


def _uv_env(server: LiveServer, ref: str, token: str) -> dict[str, str]:
    return client_env(
        {
            "UV_PUBLISH_USERNAME": "publisher",
            "UV_PUBLISH_PASSWORD": token,
            "UV_PUBLISH_URL": server.upload_url(ref),
            "UV_PUBLISH_CHECK_URL": server.index_url(ref, token),
        }
    )


def _uv(server: LiveServer, ref: str, token: str, paths: Sequence[Path]) -> tuple[int, str]:
    env = _uv_env(server, ref, token)
    result = run([str(uv_binary()), "publish", *map(str, paths)], env=env, check=False)
    return result.returncode, result.stdout + result.stderr


def _legacy(server: LiveServer, feed: Feed, token: str, path: Path) -> None:
    """Publish ``path`` with a bare legacy-API form, as ``setup.py upload`` did."""
    feed.sent_by[path.name] = "legacy API"
    if path.name.endswith(".whl"):
        name, version, _, tags = parse_wheel_filename(path.name)
        filetype = "bdist_wheel"
        pyversion = ".".join(sorted({tag.interpreter for tag in tags}))
    else:
        name, version = parse_sdist_filename(path.name)
        filetype, pyversion = "sdist", "source"
    form = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": str(name),
        "version": str(version),
        "filetype": filetype,
        "pyversion": pyversion,
        "sha256_digest": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    try:
        with path.open("rb") as content:
            response = httpx.post(
                server.upload_url(feed.ref),
                data=form,
                files={"content": (path.name, content, "application/octet-stream")},
                auth=("publisher", token),
                timeout=120,
            )
    except httpx.TransportError as err:
        feed.refused[path.name] = f"no answer: {type(err).__name__}: {err}"
        return
    if response.status_code not in (200, 201):
        feed.refused[path.name] = f"{response.status_code} {response.text[:500]}"


# --- reading it back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """One file of a PEP 691 JSON page."""

    url: str
    sha256: str
    size: int


def _listed(client: httpx.Client, index: str, name: str) -> dict[str, Listed]:
    """{filename: Listed} of package ``name`` on the JSON page of the feed at ``index``."""
    page_url = f"{index}{canonicalize_name(name)}/"
    response = client.get(page_url, headers={"Accept": JSON_INDEX})
    assert response.status_code == 200, (name, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(JSON_INDEX)
    return {
        str(item["filename"]): Listed(
            url=urljoin(page_url, str(item["url"])),
            sha256=str(item["hashes"]["sha256"]),
            size=int(item["size"]),
        )
        for item in response.json()["files"]
    }


def _sha256_of_download(client: httpx.Client, url: str) -> str:
    digest = hashlib.sha256()
    with client.stream("GET", url, follow_redirects=True) as response:
        assert response.status_code == 200, (url, response.status_code)
        for chunk in response.iter_bytes(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _download_sample() -> list[Entry]:
    """The biggest file, and the first file of each kind (wheel, .tar.gz, .zip) and
    Metadata-Version."""
    sample: dict[tuple[str, str], Entry] = {}
    for entry in ENTRIES:
        kind = os.path.splitext(entry.filename)[1]
        sample.setdefault((kind, entry.metadata_version), entry)
    biggest = max(ENTRIES, key=lambda entry: entry.size)
    return [biggest, *(entry for entry in sample.values() if entry is not biggest)]


def _install_sample(cache: Path, *, newest: bool) -> dict[str, Entry]:
    """{package: wheel} of every package with a wheel this interpreter can install, at its
    newest or oldest such version. Left out: wheels over INSTALL_MAX_BYTES, wheels whose
    Requires-Python excludes this interpreter, and wheels with a Requires-Dist that does not
    parse (``celery`` 3.1's ``pytz (>dev)``), which pip 24.1 and later refuse to install."""
    supported = set(sys_tags())
    chosen: dict[str, tuple[Version, Entry]] = {}
    for entry in ENTRIES:
        if not entry.is_wheel or entry.size > INSTALL_MAX_BYTES:
            continue
        name, version, _, tags = parse_wheel_filename(entry.filename)
        if not tags & supported or not _installable(core_metadata(cache / entry.filename)):
            continue
        if name not in chosen or (version > chosen[name][0]) == newest:
            chosen[name] = (version, entry)
    assert len(chosen) >= 30, sorted(chosen)
    return {name: entry for name, (_, entry) in sorted(chosen.items())}


def _installable(raw: bytes) -> bool:
    headers = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(
        raw.decode("utf-8", errors="replace")
    )
    try:
        for requirement in headers.get_all("Requires-Dist") or []:
            Requirement(str(requirement))
    except InvalidRequirement:
        return False
    requires_python = headers.get("Requires-Python")
    if requires_python is None:
        return True
    try:
        wanted = SpecifierSet(str(requires_python))
    except InvalidSpecifier:
        return True  # installers ignore a Requires-Python that does not parse
    return wanted.contains(platform.python_version(), prereleases=True)


def _pins(sample: dict[str, Entry]) -> list[str]:
    return [f"{name}=={_wheel_version(entry)}" for name, entry in sample.items()]


def _wheel_version(entry: Entry) -> str:
    return str(parse_wheel_filename(entry.filename)[1])


def _check_installed(installed: dict[str, str], sample: dict[str, Entry]) -> None:
    wrong = {
        name: (installed.get(name), _wheel_version(entry))
        for name, entry in sample.items()
        if installed.get(name) is None or Version(installed[name]) != Version(_wheel_version(entry))
    }
    assert not wrong, f"not installed as asked (installed, asked): {wrong}"


def _check_imports(run_python: Callable[[str], str], sample: dict[str, Entry]) -> None:
    modules = [module for name, module in IMPORTS.items() if name in sample]
    assert len(modules) >= 10, modules
    code = "".join(f"import {module}\n" for module in modules) + "print('imported')\n"
    assert run_python(code).strip() == "imported"
