"""``quiver package show``: one version's details through a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_packages_yank import FEED, publish
from tests.support import rest
from tests.support.cli import Cli, refused
from tests.support.dists import build_wheel

pytestmark = pytest.mark.e2e
EXTRA = """\
License-Expression: Apache-2.0
Project-URL: Docs, https://docs.example.test
Description-Content-Type: text/markdown

# Shown

The README, as written.
"""


def test_show_prints_what_the_metadata_says(cli: Cli, tmp_path: Path) -> None:
    with cli.server.client() as admin:
        rest.create_feed(admin, FEED)
        token = rest.create_token(admin, "admin", "packaging:write")
    wheel = build_wheel(
        tmp_path, "shown", "1.2", requires_dist=['click>=8; extra == "cli"'], extra_metadata=EXTRA
    )
    publish(cli.server, token, wheel)

    shown = cli.ok("package", "show", FEED, "shown", "1.2").out
    assert "License:         Apache-2.0" in shown
    assert 'Requires: click>=8; extra == "cli"  (extra: cli)' in shown
    assert "URL: Docs: https://docs.example.test" in shown
    assert cli.ok("package", "show", FEED, "shown", "1.2", "--readme").out.startswith("# Shown")
    as_json = cli.ok("package", "show", FEED, "shown", "1.2", "--json").json()
    assert as_json["metadata_from"] == wheel.name
    refused(cli("package", "show", FEED, "shown", "9.9"), 1, "Version 9.9 of shown")
