"""``quiver user disable/enable/delete`` and the DISABLED column, through a real server."""

from __future__ import annotations

import pytest

from tests.support import rest
from tests.support.cli import Cli, refused

pytestmark = pytest.mark.e2e


def test_disable_enable_and_delete_a_user(cli: Cli) -> None:
    cli.ok("user", "create", "dora")
    with cli.server.client() as admin:
        secret = rest.create_token(admin, "dora")
    listed = cli.ok("user", "list", "--json").json()
    assert {u["username"]: u["disabled"] for u in listed} == {"admin": False, "dora": False}

    assert "Disabled dora" in cli.ok("user", "disable", "dora").err
    refused(cli("user", "list", token=secret), 1, "disabled")
    table = cli.ok("user", "list").out
    assert "DISABLED" in table.splitlines()[0]
    rows = {line.split()[0]: line.split()[-1] for line in table.splitlines()[2:]}
    assert rows["admin"] == "-"
    assert rows["dora"][:2].isdigit()  # since when (HH:MM)
    assert "Enabled dora" in cli.ok("user", "enable", "dora").err
    assert [u["username"] for u in cli.ok("user", "list", "--json", token=secret).json()] == [
        "dora"
    ]

    refused(cli("user", "disable", "admin"), 1, "yourself")
    refused(cli("user", "disable", "ghost"), 1, "ghost")
    # Without --yes and without a terminal to ask, nothing is deleted.
    refused(cli("user", "delete", "dora"), 2, "--yes")
    assert cli.ok("user", "delete", "dora", "--yes").code == 0
    refused(cli("user", "list", token=secret), 1, "not known")
    assert [u["username"] for u in cli.ok("user", "list", "--json").json()] == ["admin"]
    refused(cli("user", "delete", "dora", "--yes"), 1, "dora")
