"""Fixtures for the modules that drive the ``quiver`` CLI (``tests.support.cli``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.server import LiveServer, live_server


@pytest.fixture(scope="module")
def cli_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server of the module's own, empty but for its administrator."""
    name = request.module.__name__.rpartition(".")[2]
    with live_server(tmp_path_factory.mktemp(name) / "data") as running:
        yield running


@pytest.fixture
def cli(cli_server: LiveServer, tmp_path: Path) -> Cli:
    """``quiver`` on the module's :func:`cli_server`, as its administrator by default, with
    a config directory of the test's own."""
    return Cli(cli_server, tmp_path / "config")
