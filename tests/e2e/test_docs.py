"""The README's publish-and-install demo, run as written against a real ``quiver serve``.

The block is taken from the README as it stands; only the server's address (a free loopback
port instead of 8080) and the scratch virtual environment's path are replaced. The commands
run in a scratch directory that looks like the repository root (``.venv`` and ``examples``
linked, the server's data directory at ``data``), offline.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.cli import without_quiver_settings
from tests.support.dists import build_wheel
from tests.support.server import LiveServer, _wait_ready, start_server, stop_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- tests/e2e/test_docs.py runs this block"
BUILD_LINE = ".venv/bin/uv build examples/hello-quiver --out-dir dist"
GREETING = "Hello from a private Quiver feed!"


@contextmanager
def demo_server(data_dir: Path) -> Iterator[LiveServer]:
    """A server that makes its own admin token and writes ``data/initial-admin-token``, as
    ``make serve`` does; given two minutes to start (a loaded machine starts slowly)."""
    server = start_server(data_dir, env={"QUIVER_ADMIN_TOKEN": ""})
    try:
        _wait_ready(server, timeout=120)
        yield server
    finally:
        stop_server(server)


def readme_demo() -> str:
    """The ```sh block right after the README's marker comment."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(MARKER))
    assert lines[start + 1] == "```sh", "the README's demo must follow its marker comment"
    end = lines.index("```", start + 2)
    return "\n".join(lines[start + 2 : end]) + "\n"


def offline_env(workdir: Path) -> dict[str, str]:
    env = without_quiver_settings()
    env.update(
        PIP_CONFIG_FILE="/dev/null",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_OFFLINE="1",
        UV_NO_CONFIG="1",
        XDG_CONFIG_HOME=str(workdir / "config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


def prepare_dist(workdir: Path, script: str, env: dict[str, str]) -> str:
    """The script, with the build line kept when uv can build offline here (its cache has
    the build backend); otherwise the same wheel built locally and the line left out."""
    assert BUILD_LINE in script, "the README's demo no longer builds the example as expected"
    built = subprocess.run(
        ["bash", "-c", BUILD_LINE], cwd=workdir, env=env, capture_output=True, timeout=300
    )
    if built.returncode == 0:
        return script
    code = (ROOT / "examples/hello-quiver/src/hello_quiver/__init__.py").read_text()
    build_wheel(workdir / "dist", "hello-quiver", "0.1.0", module_code=code)
    return script.replace(BUILD_LINE, ": wheel built by the test (uv cannot build offline)")


def test_readme_demo_publishes_and_installs(tmp_path: Path) -> None:
    workdir = tmp_path / "repo"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    (workdir / "examples").symlink_to(ROOT / "examples")
    env = offline_env(workdir)
    script = readme_demo()
    with demo_server(workdir / "data") as server:
        address = server.url.removeprefix("http://")
        script = script.replace("127.0.0.1:8080", address)
        script = script.replace("/tmp/quiver-try", str(tmp_path / "quiver-try"))
        script = prepare_dist(workdir, script, env)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, output
    assert done.stdout.strip().endswith(GREETING), output
