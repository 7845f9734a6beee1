"""A small PEP 503/691 source index for ``quiver mirror`` tests, served on loopback.

Contracts:

* :func:`build_graph` writes the dependency graph below into a directory (wheels and sdists
  from :mod:`tests.support.dists`) and returns the files' names.
* :func:`serving` serves a directory of distribution files as a simple index with the
  standard library's HTTP server, in a thread: ``/simple/`` (project list),
  ``/simple/<project>/`` (JSON when the client accepts PEP 691 JSON, else HTML; sha256 hashes,
  sizes, ``requires-python`` and PEP 658 ``core-metadata`` for wheels), ``/files/<filename>``
  and ``/files/<wheel>.metadata``. Every file request is counted per User-Agent product
  (``quiver``, ``uv``, ``pip``...) in :attr:`SourceIndex.downloads`; ``delay`` seconds are
  slept before a file is sent to ``quiver`` (to interrupt a run half-way).
* With ``password`` set, every request needs HTTP Basic credentials with that password.

The graph (``ROOT`` is what an application would install)::

    rootpkg 1.0      -> purelib>=1.0, binlib>=2.0, newpy, winonly ; sys_platform == "win32"
    purelib 1.0, 1.1 (py3-none-any)
    binlib 2.0       cp311/cp312 wheels for manylinux_2_28_x86_64, macosx_11_0_arm64, win_amd64;
                     and an sdist
    winonly 1.0      (py3-none-any)
    newpy 1.0        Requires-Python >=3.8;  newpy 2.0: >=3.12 (3.11 resolves 1.0)
    srconly 0.5      an sdist and nothing else (not needed by rootpkg)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from tests.support.dists import build_sdist, build_wheel

ROOT = "rootpkg"
PYTHONS = ("3.11", "3.12")
PLATFORMS = ("manylinux_2_28_x86_64", "macosx_11_0_arm64", "win_amd64")
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def build_graph(directory: Path) -> list[str]:
    """Write the graph of the module docstring into ``directory``; the files' names."""
    built = [
        build_wheel(
            directory,
            ROOT,
            "1.0",
            requires_dist=[
                "purelib>=1.0",
                "binlib>=2.0",
                "newpy",
                'winonly ; sys_platform == "win32"',
            ],
        ),
        build_wheel(directory, "purelib", "1.0"),
        build_wheel(directory, "purelib", "1.1"),
        build_wheel(directory, "winonly", "1.0"),
        build_wheel(directory, "newpy", "1.0", requires_python=">=3.8"),
        build_wheel(directory, "newpy", "2.0", requires_python=">=3.12"),
        build_sdist(directory, "srconly", "0.5"),
        build_sdist(directory, "binlib", "2.0"),
    ]
    for python in PYTHONS:
        cp = "cp" + python.replace(".", "")
        for platform in PLATFORMS:
            built.append(build_wheel(directory, "binlib", "2.0", tag=f"{cp}-{cp}-{platform}"))
    return sorted(path.name for path in built)


def wheel_name(project: str, version: str, python: str, platform: str) -> str:
    """The file name of a ``binlib``-like wheel for one target."""
    cp = "cp" + python.replace(".", "")
    return f"{project}-{version}-{cp}-{cp}-{platform}.whl"


@dataclass
class SourceIndex:
    """A running index: its ``url`` (``.../simple/``), the files' directory and counters."""

    url: str
    directory: Path
    delay: float = 0.0
    password: str | None = None
    downloads: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, agent: str) -> None:
        with self.lock:
            self.downloads[agent] += 1


def _project_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return str(parse_wheel_filename(filename)[0])
    return str(parse_sdist_filename(filename)[0])


def _metadata_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name)


def _requires_python(path: Path) -> str | None:
    if not path.name.endswith(".whl"):
        return None
    for line in _metadata_of(path).decode().splitlines():
        if line.startswith("Requires-Python:"):
            return line.partition(":")[2].strip()
    return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files_of(index: SourceIndex, project: str) -> list[dict[str, object]]:
    found = []
    for path in sorted(index.directory.iterdir()):
        if path.suffix not in (".whl", ".gz") or _project_of(path.name) != project:
            continue
        data = path.read_bytes()
        entry: dict[str, object] = {
            "filename": path.name,
            "url": f"../../files/{path.name}",
            "hashes": {"sha256": _digest(data)},
            "size": len(data),
            "requires-python": _requires_python(path),
        }
        if path.name.endswith(".whl"):
            entry["core-metadata"] = {"sha256": _digest(_metadata_of(path))}
        found.append(entry)
    return found


def _handler(index: SourceIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if index.password is not None and not self._authorized():
                self._send(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="x"'})
                return
            path = self.path.split("?")[0]
            if path.startswith("/files/"):
                self._file(path[len("/files/") :])
            elif path == "/simple/":
                self._project_list()
            elif path.startswith("/simple/") and path.endswith("/"):
                self._project(path[len("/simple/") : -1])
            else:
                self._send(404, b"not found", "text/plain")

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            decoded = base64.b64decode(header[6:]).decode()
            return decoded.partition(":")[2] == index.password

        def _agent(self) -> str:
            return self.headers.get("User-Agent", "").split("/")[0].lower() or "unknown"

        def _file(self, name: str) -> None:
            metadata = name.endswith(".metadata")
            path = index.directory / name.removesuffix(".metadata")
            if "/" in name or not path.is_file():
                self._send(404, b"not found", "text/plain")
                return
            if metadata:
                self._send(200, _metadata_of(path), "text/plain")
                return
            agent = self._agent()
            index.count(agent)
            if agent == "quiver" and index.delay:
                time.sleep(index.delay)
            self._send(200, path.read_bytes(), "application/octet-stream")

        def _project_list(self) -> None:
            names = sorted({_project_of(p.name) for p in index.directory.iterdir()})
            if JSON_TYPE in self.headers.get("Accept", ""):
                body = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
                self._send(200, json.dumps(body).encode(), JSON_TYPE)
                return
            links = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
            self._send(200, f"<html><body>{links}</body></html>".encode(), "text/html")

        def _project(self, name: str) -> None:
            project = canonicalize_name(name)
            files = _files_of(index, project)
            if not files:
                self._send(404, b"not found", "text/plain")
                return
            if JSON_TYPE in self.headers.get("Accept", ""):
                body = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
                self._send(200, json.dumps(body).encode(), JSON_TYPE)
                return
            self._send(200, _project_html(files).encode(), "text/html")

        def _send(
            self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _project_html(files: list[dict[str, object]]) -> str:
    links = []
    for entry in files:
        hashes = entry["hashes"]
        assert isinstance(hashes, dict)
        href = f"{entry['url']}#sha256={hashes['sha256']}"
        extra = ""
        if entry.get("requires-python"):
            extra = f' data-requires-python="{html.escape(str(entry["requires-python"]))}"'
        links.append(f'<a href="{href}"{extra}>{entry["filename"]}</a><br>')
    return "<html><body>\n" + "\n".join(links) + "\n</body></html>"


@contextmanager
def serving(directory: Path, *, password: str | None = None) -> Iterator[SourceIndex]:
    """Serve ``directory`` as a simple index on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    index = SourceIndex(f"http://127.0.0.1:{server.server_address[1]}/simple/", directory)
    index.password = password
    server.RequestHandlerClass = _handler(index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
